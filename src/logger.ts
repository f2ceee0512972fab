import type { LogLevel } from './config.js';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Whether entries at `level` are written: check before building fields on a hot path. */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean;
}

/** Where a logger's lines go; each ends in a newline. */
export type LogSink = (line: string) => void;

const toStderr: LogSink = (line) => {
  process.stderr.write(line);
};

/**
 * One JSON line per entry (docs/operations.md#logs), on stderr by default. Callers must never pass
 * credentials, tokens or passwords as fields. Below the level, nothing is built at all.
 */
export function createLogger(level: LogLevel, sink: LogSink = toStderr): Logger {
  const threshold = ORDER[level];
  const write =
    (at: Exclude<LogLevel, 'silent'>) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      if (ORDER[at] < threshold) return;
      sink(JSON.stringify({ time: new Date().toISOString(), level: at, message, ...fields }) + '\n');
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    enabled: (at) => ORDER[at] >= threshold,
  };
}
