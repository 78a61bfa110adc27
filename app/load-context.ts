/** What the express server hands every loader and action (see app/server.ts). */
declare module "@remix-run/node" {
  interface AppLoadContext {
    /** Client IP from the socket, or from X-Forwarded-For only as far as TRUST_PROXY allows. */
    clientIp: string;
    /** Per-response nonce for inline scripts, matching the Content-Security-Policy header. */
    cspNonce: string;
  }
}

export {};
