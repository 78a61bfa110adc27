// Development and tests only: the entry of a job thread when the app runs under tsx. Node 20 ignores loaders
// given to a worker thread through execArgv, so the thread registers tsx itself, then loads the TypeScript
// entry. Compiled, workers/job-threads.ts starts job-thread.js directly and this file is not used.
import { register } from "tsx/esm/api";

register();
await import("./job-thread.ts");
