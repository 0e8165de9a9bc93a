// Runs the steps of one phase as their `needs` allow, at most `concurrency` at once (docs/runs.md, "Order and concurrency").
import type { GraphNode } from '../plan/graph.js';

/**
 * Runs each node once every node it needs has ended, at most `limit` at a time; of the nodes ready,
 * the one written first starts first (so with a limit of 1 a plan runs in its written order).
 * Needs outside `nodes` are taken as met. When `run` throws, nothing new starts, what is running
 * is waited for, and the first error is thrown.
 */
export function runGraph<T extends GraphNode>(nodes: readonly T[], limit: number, run: (node: T) => Promise<void>): Promise<void> {
  const ids = new Set(nodes.map((n) => n.id));
  const waiting = [...nodes];
  const ended = new Set<string>();
  let running = 0;
  let failure: { error: unknown } | undefined;
  return new Promise<void>((resolve, reject) => {
    const settle = () => {
      if (running > 0) return;
      if (failure) reject(failure.error);
      // A cycle is a validation error; should one reach here, refuse to wait for ever.
      else if (waiting.length) reject(new Error(`steps wait for each other: ${waiting.map((n) => n.id).join(', ')}`));
      else resolve();
    };
    const pump = () => {
      for (let i = 0; !failure && i < waiting.length && running < Math.max(1, limit); ) {
        const node = waiting[i]!;
        if (!node.needs.every((id) => ended.has(id) || !ids.has(id))) {
          i++;
          continue;
        }
        waiting.splice(i, 1);
        running++;
        run(node).then(
          () => {
            running--;
            ended.add(node.id);
            pump();
          },
          (error: unknown) => {
            running--;
            failure ??= { error };
            settle();
          },
        );
      }
      settle();
    };
    pump();
  });
}
