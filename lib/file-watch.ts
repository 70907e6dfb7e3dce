/**
 * Watches files for content changes, the way Kubernetes updates them: a ConfigMap or Secret
 * volume swaps a `..data` symlink, so the watched path never sees a write of its own. We watch the
 * directory and also poll, compare content hashes, and report a change once it has settled.
 */
import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface FileWatchOptions {
  /** Quiet time after the last change before reporting it (the original's 3 s). */
  readonly debounceMs: number;
  /** Polling period, the fallback where directory events do not arrive. */
  readonly pollMs?: number;
}

async function fingerprint(paths: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const path of paths) {
    try {
      hash.update(await readFile(path));
    } catch (error) {
      hash.update(`missing:${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    hash.update('\0');
  }
  return hash.digest('hex');
}

export class FileWatch {
  readonly #paths: readonly string[];
  readonly #onChange: () => void;
  readonly #options: FileWatchOptions;
  readonly #watchers: FSWatcher[] = [];
  #poll: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #last = '';
  #checking = false;
  #closed = false;

  private constructor(paths: readonly string[], onChange: () => void, options: FileWatchOptions) {
    this.#paths = paths;
    this.#onChange = onChange;
    this.#options = options;
  }

  /** Starts watching from the files' current content: only later changes are reported. */
  static async start(
    paths: readonly string[],
    onChange: () => void,
    options: FileWatchOptions,
  ): Promise<FileWatch> {
    const fileWatch = new FileWatch(paths, onChange, options);
    fileWatch.#last = await fingerprint(paths);
    for (const directory of new Set(paths.map((path) => dirname(path)))) {
      try {
        const watcher = watch(directory, { persistent: false }, () => fileWatch.#check());
        watcher.on('error', () => watcher.close());
        fileWatch.#watchers.push(watcher);
      } catch {
        // A directory that cannot be watched is still polled.
      }
    }
    fileWatch.#poll = setInterval(() => fileWatch.#check(), options.pollMs ?? 1000);
    fileWatch.#poll.unref();
    return fileWatch;
  }

  #check(): void {
    if (this.#checking || this.#closed) return;
    this.#checking = true;
    void fingerprint(this.#paths)
      .then((current) => {
        if (current === this.#last || this.#closed) return;
        this.#last = current;
        clearTimeout(this.#debounce);
        this.#debounce = setTimeout(() => {
          if (!this.#closed) this.#onChange();
        }, this.#options.debounceMs);
        this.#debounce.unref();
      })
      .finally(() => {
        this.#checking = false;
      });
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#poll);
    clearTimeout(this.#debounce);
    for (const watcher of this.#watchers) watcher.close();
  }
}
