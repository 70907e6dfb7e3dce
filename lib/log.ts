/**
 * Structured logging with pino, to stderr so command output on stdout stays clean. Level and
 * format change on reload: the root logger writes through a sink that can be swapped, and the
 * level is pushed to every logger handed out.
 */
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { type DestinationStream, type Logger, pino } from 'pino';
import type Pretty from 'pino-pretty';

/** pino-pretty loads only for `logging.format: text`; JSON logs never pay for it. */
const loadPretty = () => createRequire(import.meta.url)('pino-pretty') as typeof Pretty;

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export type LogFormat = 'json' | 'text';

function sinkFor(format: LogFormat, destination: NodeJS.WritableStream): Writable {
  if (format === 'text') {
    const prettyStream = loadPretty()({ colorize: false, sync: true, destination: destination as Writable });
    return prettyStream;
  }
  return destination as Writable;
}

export class LogHub {
  readonly root: Logger;
  #sink: Writable;
  readonly #destination: NodeJS.WritableStream;
  readonly #loggers = new Set<WeakRef<Logger>>();

  constructor(options: { level?: LogLevel; format?: LogFormat; destination?: NodeJS.WritableStream } = {}) {
    this.#destination = options.destination ?? process.stderr;
    this.#sink = sinkFor(options.format ?? 'json', this.#destination);
    const forward: DestinationStream = {
      write: (line: string) => {
        this.#sink.write(line);
      },
    };
    this.root = pino(
      {
        level: options.level ?? 'info',
        base: undefined,
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
      },
      forward,
    );
  }

  child(bindings: Record<string, unknown>): Logger {
    const logger = this.root.child(bindings);
    this.#loggers.add(new WeakRef(logger));
    return logger;
  }

  configure(level: LogLevel, format: LogFormat): void {
    this.#sink = sinkFor(format, this.#destination);
    this.root.level = level;
    for (const ref of this.#loggers) {
      const logger = ref.deref();
      if (logger) logger.level = level;
      else this.#loggers.delete(ref);
    }
  }
}

export type { Logger };
