#!/usr/bin/env node
// Batch resize with sharp: fit inside 800x800 (SHARP_POOL_BOX=N: NxN), never
// enlarge, upright, JPEG quality 85.
//
// Usage: node sharp_pool.js INPUT_DIR OUTPUT_DIR [IN_FLIGHT]
//
// IN_FLIGHT files are processed at once (a plain promise pool; default: the
// number of cores). libuv runs at most UV_THREADPOOL_SIZE (default 4) of them
// at a time, so compare.sh raises that when IN_FLIGHT is larger.
// SHARP_CONCURRENCY=N, if set, calls sharp.concurrency(N): libvips threads per
// image (sharp's default: the core count, or 1 on glibc Linux when jemalloc is
// not loaded; compare.sh preloads Debian's libjemalloc2, as sharp's docs
// recommend). Each file: sharp(file) (sequential read and shrink-on-load are
// sharp's defaults), .rotate() (EXIF auto-orient), .resize({fit: 'inside',
// withoutEnlargement: true}), .jpeg({quality: 85}) (libjpeg-turbo, no
// mozjpeg). Output names are OUTPUT_DIR/<stem>.jpg. SHARP_POOL_FORMAT=avif
// writes OUTPUT_DIR/<stem>.avif with sharp's AVIF defaults instead (.avif():
// quality 50, effort 4, 4:4:4), as bench/formats.sh compares. Exits 1 if any
// file failed, after trying all of them.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const sharp = require('sharp');

async function main() {
  const [inDir, outDir, inFlightArg] = process.argv.slice(2);
  if (!inDir || !outDir) {
    console.error('usage: node sharp_pool.js INPUT_DIR OUTPUT_DIR [IN_FLIGHT]');
    return 2;
  }
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const inFlight = inFlightArg ? Number(inFlightArg) : cores;
  const box = Number(process.env.SHARP_POOL_BOX || 800);
  const avif = process.env.SHARP_POOL_FORMAT === 'avif';
  if (process.env.SHARP_CONCURRENCY) sharp.concurrency(Number(process.env.SHARP_CONCURRENCY));
  if (process.env.SHARP_POOL_VERBOSE) {
    console.error(`sharp_pool: concurrency ${sharp.concurrency()}, in flight ${inFlight}, ` +
                  `UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE || '(4)'}`);
  }

  const files = fs.readdirSync(inDir)
    .filter((name) => fs.statSync(path.join(inDir, name)).isFile())
    .sort();
  let next = 0;
  let failures = 0;

  async function worker() {
    while (next < files.length) {
      const name = files[next++];
      const src = path.join(inDir, name);
      const dst = path.join(outDir, path.parse(name).name + (avif ? '.avif' : '.jpg'));
      try {
        const resized = sharp(src)
          .rotate()
          .resize({ width: box, height: box, fit: 'inside', withoutEnlargement: true });
        await (avif ? resized.avif() : resized.jpeg({ quality: 85 })).toFile(dst);
      } catch (err) {
        failures += 1;
        console.error(`sharp_pool: ${src}: ${err.message}`);
      }
    }
  }

  await Promise.all(Array.from({ length: Math.max(1, inFlight) }, worker));
  return failures ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (err) => {
  console.error(`sharp_pool: ${err.stack || err}`);
  process.exitCode = 1;
});
