import { Component, type ErrorInfo, type ReactNode } from 'react';

/** The last line of defence against a blank page: a rendering bug shows a message and a way out. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo) {
    console.error('The portal failed to render', error, info.componentStack);
  }

  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <main className="auth-page" id="main">
        <div className="auth-card" role="alert">
          <h1>Something went wrong</h1>
          <p>This page could not be shown. Reload it; if that does not help, go back to the start.</p>
          <div className="actions">
            <button type="button" onClick={() => window.location.reload()}>
              Reload
            </button>
            <a className="button primary" href="/">
              Go to the start
            </a>
          </div>
        </div>
      </main>
    );
  }
}
