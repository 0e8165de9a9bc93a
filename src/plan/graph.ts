// The step graph of a phase: what each step waits for, cycles, and which steps may run at the same time.

/** A step as the graph sees it: its id and the ids it waits for. */
export interface GraphNode {
  id: string;
  needs: readonly string[];
}

/**
 * What each declared step of a phase waits for: its `needs`, or else the entry before it (so a plan
 * without `needs` keeps its order). The first entry of a phase waits for nothing.
 */
export function declaredNeeds(steps: readonly { id: string; needs?: readonly string[] }[]): GraphNode[] {
  return steps.map((step, i) => ({ id: step.id, needs: step.needs ?? (i > 0 ? [steps[i - 1]!.id] : []) }));
}

/** A cycle among the nodes, as the ids along it (first id repeated last), or undefined. Unknown ids are ignored. */
export function findCycle(nodes: readonly GraphNode[]): string[] | undefined {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'open') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'open');
    path.push(id);
    for (const need of byId.get(id)?.needs ?? []) {
      if (!byId.has(need)) continue;
      const cycle = visit(need);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const node of nodes) {
    const cycle = visit(node.id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** For each node, every id it waits for directly or through others (the graph must have no cycle). */
export function ancestorsOf(nodes: readonly GraphNode[]): Map<string, Set<string>> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const memo = new Map<string, Set<string>>();
  const of = (id: string): Set<string> => {
    const known = memo.get(id);
    if (known) return known;
    const all = new Set<string>();
    memo.set(id, all);
    for (const need of byId.get(id)?.needs ?? []) {
      if (!byId.has(need)) continue;
      all.add(need);
      for (const a of of(need)) all.add(a);
    }
    return all;
  };
  for (const node of nodes) of(node.id);
  return memo;
}

/** Pairs of nodes neither of which waits for the other: they may run at the same time. */
export function unorderedPairs<T extends GraphNode>(nodes: readonly T[]): [T, T][] {
  const ancestors = ancestorsOf(nodes);
  const pairs: [T, T][] = [];
  for (const [i, a] of nodes.entries()) {
    for (const b of nodes.slice(i + 1)) {
      if (!ancestors.get(a.id)?.has(b.id) && !ancestors.get(b.id)?.has(a.id)) pairs.push([a, b]);
    }
  }
  return pairs;
}
