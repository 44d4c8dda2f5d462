// Gradient Health panel under load: headless Chromium, the real bundle, 20 layers and 20 000 probed steps
// streamed in as the extension would (batches of 100 steps, 20 batches per second, every step probed:
// ten times the default probe rate), with the worker's pictures (decision boundary, per-layer
// distributions) four times a second, all views on screen. Prints the frame rate while updating, against a peer measured in the
// same run (the same stream posted but not drawn), and the JS heap after each quarter of the stream: bounded history
// means the heap stops growing. Messages are generated inside the page, so their cost counts against
// the panel. The machine is shared, so the main thread's CPU use per second is printed too: it shows the
// headroom independently of other processes (and the load average says how contended the run was).
// Run: node --import tsx bench/panel-fps.ts
import { loadavg } from 'node:os';
import { ensureWebviewBuilt, openPanel, startServer } from '../test/webview/harness';
import { launchBrowser } from '../test/harness/system-deps.mjs';

const LAYERS = 20;
const STEPS = 20_000;
const STEPS_PER_BATCH = 100;
const BATCHES_PER_SECOND = 20;
const TARGET_FPS = 30;

interface Sample {
  /** CPU time of the page's main thread per second of wall time (CDP ThreadTime): unlike frame rates, not inflated by other processes. */
  busy: number;
  fps: number;
  panelFrames: number;
  worstFrameMs: number;
}

async function main(): Promise<void> {
  await ensureWebviewBuilt();
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const panel = await openPanel(browser, server.origin, { theme: 'dark', width: 1400, height: 3200 });
    const { page } = panel;
    const cdp = await page.context().newCDPSession(page);
    const heapMb = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const { usedSize } = await cdp.send('Runtime.getHeapUsage');
      return usedSize / 2 ** 20;
    };

    await page.evaluate(({ layers }) => {
      const model = {
        name: 'bench-20-layers', inputs: 2, outputs: 4, task: 'classification', trainSamples: 10000, valSamples: 2000, paramCount: 20 * 64 * 64, kernel: 'wasm-simd', dtype: 'float32',
        layers: Array.from({ length: layers }, (_, i) => ({ index: i, name: `dense_${i + 1}`, position: i, kind: i % 4 === 3 ? 'batchnorm' : 'dense', inputSize: 64, outputSize: 64, paramCount: 4160 })),
      };
      window.postMessage({ type: 'run-start', run: { runId: 'bench', modelPath: '/bench.nn.json', model, seed: 1, startedAt: 0 } }, '*');
    }, { layers: LAYERS });

    /** Measures browser frames while `batches` batches stream in from a timer inside the page. */
    const stream = (from: number, batches: number, type = 'progress') =>
      page.evaluate(
        ({ from, batches, layers, stepsPerBatch, perSecond, type }) =>
          new Promise<Sample>((done) => {
            const w = window as unknown as { nnPanel: { frames: number } };
            const startFrames = w.nnPanel.frames;
            let frames = 0;
            let worst = 0;
            let last = performance.now();
            let running = true;
            const tick = (now: number) => {
              frames++;
              worst = Math.max(worst, now - last);
              last = now;
              if (running) requestAnimationFrame(tick);
            };
            requestAnimationFrame(tick);
            const t0 = performance.now();
            let sent = 0;
            const probeLayer = (i: number, step: number) => {
              const g = Math.exp(-i / 4) * (1 + 0.3 * Math.sin(step / 50 + i)) * (1 + 0.1 * Math.random());
              const bn = i % 4 === 3;
              return {
                index: i, name: `dense_${i + 1}`, position: i, kind: bn ? 'batchnorm' : 'dense', gradNorm: g, biasGradNorm: g / 10, weightNorm: 5, updateRatio: g * 1e-3,
                histogram: Array.from({ length: 14 }, (_, k) => Math.round(100 * Math.exp(-((k - 7) ** 2) / 4))), activationMean: 0, activationStd: 1,
                deadRatio: bn ? null : 0.1 + 0.05 * Math.sin(step / 300), saturationRatio: null,
                batchNorm: bn ? { meanShift: 0.1, varRatio: 1, batchMean: Math.sin(step / 80), runningMean: Math.sin(step / 80 - 0.3), batchVar: 1.1, runningVar: 1, gammaMean: 1, gammaMinAbs: 0.5, betaMean: 0 } : null,
                nonFinite: 0,
              };
            };
            const hist = () => ({ min: -2, max: 2, counts: Array.from({ length: 30 }, (_, k) => Math.round(200 * Math.exp(-((k - 15) ** 2) / 40) * (1 + 0.2 * Math.random()))) });
            const bands = (scale: number) => [-3, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 3].map((q) => q * scale * (1 + 0.05 * Math.random()));
            const picture = (step: number) => ({
              step,
              epoch: Math.ceil(step / 500),
              boundary: {
                size: 40, x: [-2, 2], y: [-2, 2], classes: 3,
                value: Array.from({ length: 1600 }, (_, c) => Math.floor((((c % 40) + Math.floor(c / 40) + step / 100) % 40) / 14)),
                confidence: Array.from({ length: 1600 }, () => 0.4 + 0.6 * Math.random()),
              },
              points: step <= stepsPerBatch ? { train: Array.from({ length: 600 }, () => 4 * Math.random() - 2), trainLabels: Array.from({ length: 300 }, (_, k) => k % 3), val: Array.from({ length: 300 }, () => 4 * Math.random() - 2), valLabels: Array.from({ length: 150 }, (_, k) => k % 3) } : null,
              layers: Array.from({ length: layers }, (_, i) => ({
                position: i, name: `dense_${i + 1}`, kind: i % 4 === 3 ? 'batchnorm' : 'dense', output: hist(), units: null, weighted: i % 4 !== 3, weights: null,
                weightQuantiles: bands(0.1), gradQuantiles: bands(0.001),
              })),
            });
            const timer = setInterval(() => {
              const first = from + sent * stepsPerBatch + 1;
              const steps = [];
              const probes = [];
              for (let step = first; step < first + stepsPerBatch; step++) {
                const loss = 2 * Math.exp(-step / 5000) + 0.05 * Math.random();
                steps.push({ step, epoch: Math.ceil(step / 500), loss, lr: 0.01 });
                probes.push({ step, epoch: Math.ceil(step / 500), loss, lr: 0.01, clipping: null, layers: Array.from({ length: layers }, (_, i) => probeLayer(i, step)) });
              }
              const last = first + stepsPerBatch - 1;
              const epochs = last % 500 === 0 ? [{ epoch: last / 500, step: last, loss: 0.3, accuracy: 0.9, valLoss: 0.35, valAccuracy: 0.88, lr: 0.01, durationMs: 500, samplesPerSecond: 20000 }] : [];
              // the worker takes a picture about every fifth batch (four a second)
              const visuals = sent % 5 === 0 ? [picture(last)] : [];
              window.postMessage({ type, runId: 'bench', batch: { steps, epochs, probes, findings: null, visuals } }, '*');
              if (++sent === batches) {
                clearInterval(timer);
                // Let the last batch be drawn, then stop counting.
                setTimeout(() => {
                  running = false;
                  const seconds = (performance.now() - t0) / 1000;
                  done({ busy: 0, fps: frames / seconds, panelFrames: (w.nnPanel.frames - startFrames) / seconds, worstFrameMs: worst });
                }, 100);
              }
            }, 1000 / perSecond);
          }),
        { from, batches, layers: LAYERS, stepsPerBatch: STEPS_PER_BATCH, perSecond: BATCHES_PER_SECOND, type },
      );

    const idle = () =>
      page.evaluate(
        () =>
          new Promise<number>((done) => {
            let frames = 0;
            const t0 = performance.now();
            const tick = () => {
              frames++;
              if (performance.now() - t0 < 2000) requestAnimationFrame(tick);
              else done(frames / ((performance.now() - t0) / 1000));
            };
            requestAnimationFrame(tick);
          }),
      );

    await cdp.send('Performance.enable');
    const taskSeconds = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ThreadTime')!.value;
    const idleFps = await idle();
    // The peer: the same stream generated, posted, decoded and validated, but of a message type the panel
    // rejects, so nothing is stored or drawn. Its frame rate is what this machine allows right now.
    const peer = await stream(0, STEPS / 4 / STEPS_PER_BATCH, 'bench-not-drawn');
    const quarter = STEPS / 4 / STEPS_PER_BATCH;
    const samples: (Sample & { steps: number; heapMb: number })[] = [];
    for (let q = 0; q < 4; q++) {
      const [task0, wall0] = [await taskSeconds(), performance.now()];
      const s = await stream(q * quarter * STEPS_PER_BATCH, quarter);
      s.busy = (await taskSeconds() - task0) / ((performance.now() - wall0) / 1000);
      samples.push({ ...s, steps: (q + 1) * quarter * STEPS_PER_BATCH, heapMb: await heapMb() });
    }
    const points = await page.evaluate(() => {
      const store = (window as unknown as { nnPanel: { store: { current: { layers: { gradNorm: { points: unknown[] } }[] } } } }).nnPanel.store;
      return store.current.layers[0]!.gradNorm.points.length;
    });
    const problems = panel.problems;

    console.log(`Gradient Health panel, ${LAYERS} layers, ${STEPS} steps streamed at ${BATCHES_PER_SECOND} batches/s of ${STEPS_PER_BATCH} probed steps`);
    console.log('steps so far   browser fps   panel passes/s   worst frame   main thread CPU   JS heap');
    for (const s of samples) console.log(`${String(s.steps).padStart(12)}   ${s.fps.toFixed(1).padStart(11)}   ${s.panelFrames.toFixed(1).padStart(14)}   ${s.worstFrameMs.toFixed(0).padStart(8)} ms   ${(100 * s.busy).toFixed(0).padStart(13)} %   ${s.heapMb.toFixed(1).padStart(5)} MB`);
    const updatingFps = Math.min(...samples.map((s) => s.fps));
    const growth = samples[3]!.heapMb / samples[0]!.heapMb;
    console.log(`peer, same stream not drawn: ${peer.fps.toFixed(1)} fps; idle page: ${idleFps.toFixed(1)} fps; points kept per layer series: ${points} of ${STEPS}`);
    console.log(
      JSON.stringify({
        minFpsWhileUpdating: round(updatingFps),
        peerFps: round(peer.fps),
        fpsRatioToPeer: round(updatingFps / peer.fps),
        idleFps: round(idleFps),
        fpsRatioToTarget: round(updatingFps / TARGET_FPS),
        maxMainThreadCpu: round(Math.max(...samples.map((s) => s.busy))),
        loadAverage: round(loadavg()[0]!),
        heapMbAt5k: round(samples[0]!.heapMb),
        heapMbAt20k: round(samples[3]!.heapMb),
        heapGrowth5kTo20k: round(growth),
        pointsPerSeries: points,
        pageProblems: problems.length,
      }),
    );
    if (problems.length) console.error(problems.join('\n'));
  } finally {
    await browser.close();
    await server.close();
  }
}

const round = (v: number) => Math.round(v * 100) / 100;

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
