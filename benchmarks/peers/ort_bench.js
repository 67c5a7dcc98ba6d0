// Run an ONNX model with onnxruntime-node (CPU) and print throughput as one JSON line.
//   node ort_bench.js MODEL.onnx [batch] [threads] [seconds]
// Used by benchmarks/engine_vs_peers.sh, which installs onnxruntime-node into a local node_modules.
const ort = require('onnxruntime-node');

async function main() {
  const [model, batchArg, threadsArg, secondsArg] = process.argv.slice(2);
  const batch = parseInt(batchArg || '64'), threads = parseInt(threadsArg || '2');
  const seconds = parseFloat(secondsArg || '10'), minRuns = 3;
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const data = new Float32Array(batch * 32 * 32);
  let seed = 1;
  for (let i = 0; i < data.length; ++i) {  // deterministic pseudo-random input
    seed = (seed * 1103515245 + 12345) % 2147483648;
    data[i] = seed / 2147483648 - 0.5;
  }
  const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', data, [batch, 1, 32, 32])};
  await session.run(feeds);  // warm-up
  const times = [];
  const start = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - start) / 1e9;
  while (times.length < minRuns || elapsed() < seconds) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const version = require('onnxruntime-node/package.json').version;
  console.log(JSON.stringify({engine: `onnxruntime-node ${version}`, batch, threads, runs: times.length,
                              median_s: median, images_per_s: batch / median,
                              peak_rss_mib: process.resourceUsage().maxRSS / 1024}));
}
main().catch((e) => { console.error(e); process.exit(1); });
