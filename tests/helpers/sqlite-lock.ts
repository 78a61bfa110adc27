import { spawn, type ChildProcess } from "node:child_process";

/**
 * Another process (a plain node with better-sqlite3, as an operator's script or a second app would be) holding
 * BEGIN EXCLUSIVE on a SQLite database file for `ms`; resolves once the lock is taken.
 */
export async function holdExclusiveLock(
  file: string,
  ms: number,
): Promise<{ child: ChildProcess; released: Promise<void> }> {
  const script = `
    const Database = require("better-sqlite3");
    const db = new Database(process.argv[1]);
    db.exec("BEGIN EXCLUSIVE");
    process.stdout.write("locked\\n");
    setTimeout(() => { db.exec("COMMIT"); db.close(); process.stdout.write("released\\n"); }, Number(process.argv[2]));
  `;
  const child = spawn(process.execPath, ["-e", script, file, String(ms)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const released = new Promise<void>((resolve, reject) => {
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`lock holder exited with ${code}: ${output}`)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("locked")) resolve();
    });
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    released.catch(reject);
  });
  return { child, released };
}
