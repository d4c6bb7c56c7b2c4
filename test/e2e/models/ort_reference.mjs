// Writes ONNX Runtime's outputs for a backend-test-layout case directory:
// reads CASE/model.onnx and CASE/test_data_set_N/input_K.pb, runs ONNX Runtime
// (CPU, the npm package onnxruntime-node) and writes output_K.pb beside them.
//
//   node ort_reference.mjs ORT_PACKAGE_DIR CASE|DIR [CASE|DIR ...]
//        [--threads N --time RUNS]
//
// With --time, each case's first data set is also run RUNS times after a
// warm-up run, in-process on N intra-op threads, and one JSON line per case
// gives the median and p90 latency in milliseconds (bench/run.py reads it).
//
// TensorProto files are read and written with a minimal protobuf codec
// (dims, data_type, name, raw_data, float_data) so nothing else is needed.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i < 0 ? fallback : Number(args.splice(i, 2)[1]);
};
const threads = option("--threads", 1), timedRuns = option("--time", 0);
const [ortDir, ...cases] = args;
const ort = createRequire(path.join(path.resolve(ortDir), "index.js"))("onnxruntime-node");

const TYPES = { 1: ["float32", Float32Array], 6: ["int32", Int32Array],
                7: ["int64", BigInt64Array], 11: ["float64", Float64Array],
                3: ["int8", Int8Array], 2: ["uint8", Uint8Array], 9: ["bool", Uint8Array] };
const CODES = Object.fromEntries(Object.entries(TYPES).map(([c, [n]]) => [n, Number(c)]));

function readVarint(buf, pos) {
  let value = 0n, shift = 0n, byte;
  do {
    byte = buf[pos++];
    value |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
  } while (byte & 0x80);
  return [value, pos];
}

function decodeTensor(buf) {
  const t = { dims: [], dataType: 0, name: "", raw: null, floats: [] };
  let pos = 0;
  while (pos < buf.length) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const field = Number(key >> 3n), wire = Number(key & 7n);
    if (wire === 0) {
      let v;
      [v, pos] = readVarint(buf, pos);
      if (field === 1) t.dims.push(Number(v));
      else if (field === 2) t.dataType = Number(v);
    } else if (wire === 2) {
      let len;
      [len, pos] = readVarint(buf, pos);
      const bytes = buf.subarray(pos, pos + Number(len));
      pos += Number(len);
      if (field === 1) {
        for (let p = 0; p < bytes.length;) { let v; [v, p] = readVarint(bytes, p); t.dims.push(Number(v)); }
      } else if (field === 8) t.name = bytes.toString("utf8");
      else if (field === 9) t.raw = bytes;
      else if (field === 4) for (let i = 0; i < bytes.length; i += 4) t.floats.push(bytes.readFloatLE(i));
    } else if (wire === 5) {
      if (field === 4) t.floats.push(buf.readFloatLE(pos));
      pos += 4;
    } else if (wire === 1) pos += 8;
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  const type = TYPES[t.dataType];
  if (!type) throw new Error(`unsupported tensor data type ${t.dataType}`);
  const [name, Ctor] = type;
  let data;
  if (t.raw) {
    const copy = Buffer.from(t.raw); // aligned copy
    data = new Ctor(copy.buffer, copy.byteOffset, copy.length / Ctor.BYTES_PER_ELEMENT);
  } else if (t.dataType === 1) data = Float32Array.from(t.floats);
  else throw new Error("only raw_data or float_data tensors are supported");
  return { name: t.name, tensor: new ort.Tensor(name, data, t.dims) };
}

function varint(value) {
  const out = [];
  let v = BigInt(value);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return Buffer.from(out);
}

function encodeTensor(name, tensor) {
  const parts = [];
  for (const d of tensor.dims) parts.push(varint(1 << 3), varint(d));
  parts.push(varint(2 << 3), varint(CODES[tensor.type]));
  const nameBytes = Buffer.from(name, "utf8");
  parts.push(varint((8 << 3) | 2), varint(nameBytes.length), nameBytes);
  const data = tensor.data;
  const raw = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  parts.push(varint((9 << 3) | 2), varint(raw.length), raw);
  return Buffer.concat(parts);
}

// A directory without model.onnx stands for every case directory inside it.
const caseDirs = cases.flatMap((dir) =>
  fs.existsSync(path.join(dir, "model.onnx"))
    ? [dir]
    : fs.readdirSync(dir).sort().map((d) => path.join(dir, d))
        .filter((d) => fs.existsSync(path.join(d, "model.onnx"))));
for (const dir of caseDirs) {
  const session = await ort.InferenceSession.create(path.join(dir, "model.onnx"),
    { intraOpNumThreads: threads, interOpNumThreads: 1 });
  let firstFeeds = null;
  for (const set of fs.readdirSync(dir).filter((d) => d.startsWith("test_data_set_")).sort()) {
    const setDir = path.join(dir, set);
    const feeds = {};
    session.inputNames.forEach((inputName, i) => {
      feeds[inputName] = decodeTensor(fs.readFileSync(path.join(setDir, `input_${i}.pb`))).tensor;
    });
    firstFeeds ??= feeds;
    const results = await session.run(feeds);
    session.outputNames.forEach((outputName, i) => {
      fs.writeFileSync(path.join(setDir, `output_${i}.pb`), encodeTensor(outputName, results[outputName]));
    });
  }
  if (timedRuns > 0) {
    await session.run(firstFeeds); // warm-up
    const times = [];
    for (let r = 0; r < timedRuns; ++r) {
      const start = process.hrtime.bigint();
      await session.run(firstFeeds);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    times.sort((a, b) => a - b);
    const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
    console.log(JSON.stringify({ case: dir, threads, median: at(0.5), p90: at(0.9) }));
  } else {
    console.log(`wrote ONNX Runtime outputs for ${dir}`);
  }
}
