/**
 * Reading a file a setting names: a failure says which setting and which file, with the
 * system's code (ENOENT, EACCES) rather than a stack, and never the file's content.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

function cannotRead(label: string, path: string, error: unknown): Error {
  return new Error(
    `${label} "${path}": cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
  );
}

export async function readNamedFile(path: string, label: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw cannotRead(label, path, error);
  }
}

/**
 * The largest config file read: ten times a generated config with 100k userbalance users (JSON),
 * and what the YAML parser takes in seconds and a few hundred MiB, not minutes and gigabytes.
 */
export const MAX_CONFIG_BYTES = 32 * 1024 * 1024;

/**
 * With `maxBytes`, only a regular file no larger than that is read (opened non-blocking, so a
 * named pipe is refused at once instead of waiting for a writer).
 */
export function readNamedFileSync(path: string, label: string, maxBytes?: number): Buffer {
  if (maxBytes === undefined) {
    try {
      return readFileSync(path);
    } catch (error) {
      throw cannotRead(label, path, error);
    }
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw cannotRead(label, path, error);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new Error(`${label} "${path}": not a regular file`);
    if (stats.size > maxBytes)
      throw new Error(`${label} "${path}": ${stats.size} bytes, more than the ${maxBytes} it may have`);
    const buffer = Buffer.alloc(stats.size + 1);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    if (read > maxBytes) throw new Error(`${label} "${path}": more than the ${maxBytes} bytes it may have`);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}
