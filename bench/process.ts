import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Command, CpuResult, Ready, SeedResult } from './servers.js';
import type { VerifyFixture } from './seed.js';

/** One forked bench server (bench/servers.ts) and the commands it answers over IPC. */
export class BenchServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly keywardUrl: string,
    readonly bareUrl: string,
    readonly fixture: VerifyFixture | null,
  ) {}

  /** Its log goes where `npm start`'s would, to stdout: here a sink, so the terminal stays readable. */
  static async start(env: Record<string, string> = {}): Promise<BenchServer> {
    const child = fork(fileURLToPath(new URL('./servers.ts', import.meta.url)), {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      execArgv: [...process.execArgv, '--expose-gc'],
    });
    const [ready] = (await Promise.race([once(child, 'message'), once(child, 'exit').then(() => Promise.reject(new Error('bench server exited early')))])) as [Ready];
    return new BenchServer(child, ready.keywardUrl, ready.bareUrl, ready.fixture);
  }

  ask<T>(command: Command): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const answered = (message: T) => {
        this.child.off('exit', exited);
        resolve(message);
      };
      const exited = () => {
        this.child.off('message', answered);
        reject(new Error(`bench server exited during ${command.type}`));
      };
      this.child.once('message', answered);
      this.child.once('exit', exited);
      this.child.send(command);
    });
  }

  /** CPU time the server process used so far, µs. */
  async cpu(): Promise<number> {
    return (await this.ask<CpuResult>({ type: 'cpu' })).micros;
  }

  seed(count: number, keep: number): Promise<SeedResult> {
    return this.ask<SeedResult>({ type: 'seed', count, keep });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    if (this.child.connected) this.child.send({ type: 'stop' } satisfies Command);
    await exited;
  }
}
