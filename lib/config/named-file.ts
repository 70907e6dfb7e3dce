/**
 * Reading a file a setting names: a failure says which setting and which file, with the
 * system's code (ENOENT, EACCES) rather than a stack, and never the file's content.
 */
import { readFileSync } from 'node:fs';
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

export function readNamedFileSync(path: string, label: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw cannotRead(label, path, error);
  }
}
