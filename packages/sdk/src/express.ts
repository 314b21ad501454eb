import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { decide, PROBLEM_MEDIA_TYPE, type RequireTokenOptions, type TokenFacts } from './middleware.js';
import type { Verifier } from './verifier.js';

export type { RequireTokenOptions, TokenFacts } from './middleware.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by requireToken on success. */
      token?: TokenFacts;
    }
  }
}

/** Express middleware: on success `req.token`, otherwise a 401/403/429 problem+json answer. */
export function requireToken(verifier: Verifier, options: RequireTokenOptions = {}): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    decide(verifier, { rawHeaders: req.rawHeaders, url: req.originalUrl, ip: req.ip }, options).then(
      (decision) => {
        if (decision.ok) {
          req.token = decision.token;
          res.set(decision.headers);
          return next();
        }
        const { status, headers, body } = decision.refusal;
        res.status(status).set(headers).type(PROBLEM_MEDIA_TYPE).send(JSON.stringify(body));
      },
      next,
    );
  };
}
