/* seeker/flood.js — the waiting step for new conversations under a flood (chat/PROTOCOL.md
 * "Waiting step"). Loaded only when a start was refused as rate_limited: if the waiting step is
 * on, the page says so in calm words, solves the server's small proof of work (a few seconds at
 * most, in short slices so the page stays responsive), and starts again with the answer.
 * Nothing here identifies anyone: the challenge is a random id and two times, signed. */
import H from '../common.js';

const $ = (id) => document.getElementById(id);

// startWithWaitingStep retries the start with a solved challenge; refused stays the error
// when the waiting step is not on (an ordinary rate limit).
export async function startWithWaitingStep(body, refused) {
  const c = await H.api('GET', '/api/seeker/waiting-step');
  if (!c || !c.on) throw refused;
  const note = $('waiting-step');
  if (note) { H.setText(note, 'flood.js_wait'); note.hidden = false; }
  try {
    const nonce = await solve(String(c.challenge), Number(c.bits) || 16);
    return await H.api('POST', '/api/seeker/conversations', { ...body, waiting_step: { challenge: c.challenge, nonce } });
  } finally {
    if (note) note.hidden = true;
  }
}

// solve finds a nonce such that SHA-256("challenge:nonce") starts with bits zero bits.
export async function solve(challenge, bits) {
  const prefix = new TextEncoder().encode(challenge + ':');
  for (let n = 0; ; ) {
    const end = n + 4000;
    for (; n < end; n++) {
      if (leadingZeros(sha256(concat(prefix, String(n)))) >= bits) return String(n);
    }
    await new Promise((resolve) => setTimeout(resolve, 0)); // let the page breathe
  }
}

function concat(prefix, s) {
  const out = new Uint8Array(prefix.length + s.length);
  out.set(prefix);
  for (let i = 0; i < s.length; i++) out[prefix.length + i] = s.charCodeAt(i); // digits: ASCII
  return out;
}

function leadingZeros(h) {
  let z = 0;
  for (const w of h) {
    if (w === 0) { z += 32; continue; }
    return z + Math.clz32(w);
  }
  return z;
}

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const W = new Uint32Array(64);

// sha256 of bytes, as eight 32-bit words (FIPS 180-4).
export function sha256(bytes) {
  const blocks = Math.ceil((bytes.length + 9) / 64);
  const m = new Uint8Array(blocks * 64);
  m.set(bytes);
  m[bytes.length] = 0x80;
  const bitsLen = bytes.length * 8;
  m[m.length - 4] = bitsLen >>> 24; m[m.length - 3] = bitsLen >>> 16; m[m.length - 2] = bitsLen >>> 8; m[m.length - 1] = bitsLen;
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  for (let b = 0; b < blocks; b++) {
    for (let i = 0; i < 16; i++) {
      const o = b * 64 + i * 4;
      W[i] = (m[o] << 24) | (m[o + 1] << 16) | (m[o + 2] << 8) | m[o + 3];
    }
    for (let i = 16; i < 64; i++) {
      const x = W[i - 15], y = W[i - 2];
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    let [a, bb, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
      hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = bb; bb = a; a = (t1 + t2) | 0;
    }
    h[0] += a; h[1] += bb; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  return h;
}
