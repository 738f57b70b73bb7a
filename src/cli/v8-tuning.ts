// One V8 setting for the simulator's heap, applied by the commands that run the simulator
// (simulate, sweep, compare) before they start it, and by the benchmark, so it measures what
// users get. Other commands do not load node:v8 for it (~4 ms of every inspect).
//
// V8 "pretenures" an allocation site, i.e. allocates its objects straight in the old
// generation, once enough of them survive a young-generation GC. A simulation's sockets,
// request sockets and app state live for a few simulated RTTs: a burst of them alive at one
// scavenge flips their sites to old-space allocation for good, and from then on every
// short-lived socket costs old-generation work (write barriers into the remembered set,
// marking, sweeping). In article-lb that is ~385 MB of 1.7 GB allocated going to the old
// generation instead of ~45 MB, and the run takes 15-20 % longer (docs/architecture.md).

import { setFlagsFromString } from 'node:v8';

/** Turns off allocation-site pretenuring for this process (all threads share V8's flags). */
export function tuneV8ForSimulation(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}
