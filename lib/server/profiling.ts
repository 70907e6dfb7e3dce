/**
 * The original's pprof server done the Node way, on loopback: a CPU profile from the V8 inspector
 * (`.cpuprofile`, opens in Chrome DevTools or speedscope) and a heap snapshot (`.heapsnapshot`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Session } from 'node:inspector/promises';
import { getHeapSnapshot } from 'node:v8';
import { sendText } from './routes.js';

const MAX_PROFILE_SECONDS = 300;

export function profilingHandler() {
  let busy = false;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/debug/pprof/' || url.pathname === '/debug/pprof') {
      return sendText(
        res,
        200,
        'GET /debug/pprof/profile?seconds=30  CPU profile (.cpuprofile)\nGET /debug/pprof/heap  heap snapshot (.heapsnapshot)\n',
      );
    }
    if (url.pathname !== '/debug/pprof/profile' && url.pathname !== '/debug/pprof/heap') {
      return sendText(res, 404, 'not found\n');
    }
    if (busy) return sendText(res, 409, 'a profile is already being taken\n');
    busy = true;
    try {
      if (url.pathname === '/debug/pprof/heap') {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-disposition': 'attachment; filename="heap.heapsnapshot"',
        });
        await new Promise<void>((resolve, reject) => {
          getHeapSnapshot().on('error', reject).on('end', resolve).pipe(res);
        });
        return;
      }
      const seconds = Number(url.searchParams.get('seconds') ?? '30');
      if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_PROFILE_SECONDS) {
        return sendText(res, 400, `seconds must be between 0 and ${MAX_PROFILE_SECONDS}\n`);
      }
      const session = new Session();
      session.connect();
      try {
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
        await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
        const { profile } = await session.post('Profiler.stop');
        const body = JSON.stringify(profile);
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-disposition': 'attachment; filename="cpu.cpuprofile"',
        });
        res.end(body);
      } finally {
        session.disconnect();
      }
    } finally {
      busy = false;
    }
  };
}
