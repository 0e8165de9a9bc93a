// The flags of `cutover run` that spread one run over runners, checked before anything is read (docs/runs.md, "One run over many runners").
import { CutoverError } from '../errors.js';
import type { Distribution } from '../run/run-options.js';

/** The options of `run` that spread one run over runners. */
export interface SpreadFlags {
  until?: string;
  shard?: string;
  handoff?: string;
  out?: string;
  join?: string[];
  push?: boolean;
}

/** Which part of a spread run the flags ask for (docs/runs.md, "One run over many runners"); refuses (exit 2) a mix that names none. */
export function distributionOf(o: SpreadFlags): { distribution?: Distribution } {
  const usage = (message: string, hint: string) => new CutoverError('USAGE', message, { hint });
  const modes = [o.until && '--until', o.shard && '--shard', o.join && '--join'].filter(Boolean);
  if (modes.length > 1) throw usage(`${modes.join(' and ')} cannot be combined`, 'a job is the coordinator, one shard, or the join');
  if (!modes.length) {
    if (o.handoff || o.out)
      throw usage('--handoff and --out belong to a spread run', 'add --until STEP (coordinator) or --shard STEP[VALUE]');
    return {};
  }
  if (o.push && !o.join) throw usage('--push: the coordinator and the shards commit nothing', 'push from the join (--join … --push)');
  if (o.join) {
    if (o.handoff || o.out) throw usage('--join takes the hand-off and shard folders as its arguments', 'drop --handoff and --out');
    return { distribution: { mode: 'join', bundles: o.join } };
  }
  if (!o.handoff) throw usage(`${modes[0]} needs --handoff DIR`, 'the coordinator writes the hand-off folder; each shard reads it');
  if (o.until) {
    if (o.out) throw usage('--out belongs to --shard', 'the coordinator writes --handoff only');
    return { distribution: { mode: 'until', step: o.until, handoff: o.handoff } };
  }
  if (!o.out) throw usage('--shard needs --out DIR', "the shard's outcome, log and manifests go to a new folder");
  return { distribution: { mode: 'shard', shard: o.shard!, handoff: o.handoff, out: o.out } };
}
