import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads the `.cpuprofile` files `node --cpu-prof` wrote (KAIROS_SERVICE_NODE_OPTIONS="--cpu-prof
 * --cpu-prof-dir=<dir>" for `npm run bench`) and says where each process's CPU went: self time
 * grouped by package (or by our own library/app folder), idle and GC apart.
 *
 *   node tools/run-ts.js tools/bench/profile-summary.ts <dir> [top] [--from <seconds>]
 *
 * `--from 30` counts only the samples taken 30 s or more after the process started (leaves start-up
 * and module loading out, e.g. to see what a service does at rest).
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  pid: string;
  wallMs: number;
  busyMs: number;
  groups: [string, number][];
  /** Self time charged to the first package or folder of ours up the stack (node internals and native calls to their caller). */
  callers: [string, number][];
  /** Self time charged to the nearest function of ours up the stack. */
  owners: [string, number][];
  functions: [string, number][];
}

function groupOf(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'node internals (program)';
  if (!url) return `native ${name || '(anonymous)'}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const own = /(?:dist\/)?(apps|libs|infra)\/([^/]+)(?:\/([^/]+))?/.exec(url);
  if (own) return own[1] === 'libs' ? `libs/${own[2]}/${own[3] ?? ''}`.replace(/\/$/, '') : `${own[1]}/${own[2]}`;
  return url.split('/').slice(-2).join('/');
}

export function summariseProfile(file: string, top = 12, fromSeconds = 0): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let at = profile.startTime;
  const from = profile.startTime + fromSeconds * 1_000_000;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at >= from) self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const internal = (g: string) => g.startsWith('node:') || g.startsWith('native ') || g === 'node internals (program)';
  const callerOf = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at)!;
      const g = groupOf(n.callFrame.url, n.callFrame.functionName);
      if (!internal(g) && g !== '(root)' && n.callFrame.url) return g;
    }
    return groupOf(byId.get(id)!.callFrame.url, byId.get(id)!.callFrame.functionName);
  };
  const ownOf = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at)!;
      const own = /(?:apps|libs|infra)\/.*$/.exec(n.callFrame.url);
      if (own && !n.callFrame.url.includes('node_modules')) return `${n.callFrame.functionName || '(anonymous)'} ${own[0].replace(/^.*?src\//, '')}`;
    }
    return '(no code of ours on the stack)';
  };
  const owners = new Map<string, number>();
  const callers = new Map<string, number>();
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (const [id, micros] of self) {
    const node = byId.get(id)!;
    const group = groupOf(node.callFrame.url, node.callFrame.functionName);
    groups.set(group, (groups.get(group) ?? 0) + micros);
    if (group !== 'idle') busy += micros;
    const caller = group === 'idle' || group === 'GC' ? group : callerOf(id);
    callers.set(caller, (callers.get(caller) ?? 0) + micros);
    if (group !== 'idle' && group !== 'GC') owners.set(ownOf(id), (owners.get(ownOf(id)) ?? 0) + micros);
    if (group !== 'idle' && group !== 'GC') {
      const fn = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.split('/').slice(-2).join('/')}`;
      functions.set(fn, (functions.get(fn) ?? 0) + micros);
    }
  }
  const ms = (m: [string, number][]) => m.map(([k, v]) => [k, Math.round(v / 1000)] as [string, number]).sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    file,
    pid: /\.(\d+)\.\d+\.cpuprofile$/.exec(file)?.[1] ?? '?',
    wallMs: Math.round((profile.endTime - Math.max(profile.startTime, Math.min(from, profile.endTime))) / 1000),
    busyMs: Math.round(busy / 1000),
    groups: ms([...groups]),
    callers: ms([...callers]),
    owners: ms([...owners]),
    functions: ms([...functions]),
  };
}

if (process.argv[1]?.endsWith('profile-summary.ts') || process.argv[2]?.endsWith('profile-summary.ts')) {
  const all = process.argv.slice(process.argv.findIndex((a) => a.endsWith('profile-summary.ts')) + 1);
  const fromAt = all.indexOf('--from');
  const fromSeconds = fromAt >= 0 ? Number(all[fromAt + 1]) : 0;
  const args = fromAt >= 0 ? [...all.slice(0, fromAt), ...all.slice(fromAt + 2)] : all;
  const dir = args[0];
  if (!dir) throw new Error('usage: profile-summary.ts <dir> [top] [--from <seconds>]');
  const top = Number(args[1] ?? 12);
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort()) {
    const s = summariseProfile(join(dir, name), top, fromSeconds);
    process.stdout.write(`\n== ${name}: wall ${s.wallMs} ms, busy ${s.busyMs} ms\n`);
    for (const [group, ms] of s.groups) process.stdout.write(`  ${String(ms).padStart(8)} ms  ${group}\n`);
    process.stdout.write('  -- charged to the caller (first package or folder of ours up the stack)\n');
    for (const [group, ms] of s.callers) process.stdout.write(`  ${String(ms).padStart(8)} ms  ${group}\n`);
    process.stdout.write('  -- charged to the nearest function of ours\n');
    for (const [fn, ms] of s.owners) process.stdout.write(`  ${String(ms).padStart(8)} ms  ${fn}\n`);
    process.stdout.write('  -- top functions (self)\n');
    for (const [fn, ms] of s.functions) process.stdout.write(`  ${String(ms).padStart(8)} ms  ${fn}\n`);
  }
}
