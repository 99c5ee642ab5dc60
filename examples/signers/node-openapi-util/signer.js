// A signer for `acsharness signer check` built on the official
// @alicloud/openapi-util (0.3.3, pinned in package-lock.json), the signing
// library of the official TypeScript SDKs (@alicloud/openapi-client). It is
// glue only: every byte of every signature comes from the SDK.
//
//   npm ci && acsharness signer check --exec 'node signer.js'
//
// One request per line on stdin, one reply per line on stdout (the README's
// "signer protocol"). openapi-util signs a ROA empty query value "k=", where
// the Go SDKs sign a bare "k" (docs/protocol.md §2.2, §9 F8): signer check accepts
// both and reports how many cases used the "k=" variant.
'use strict';

const readline = require('readline');
const Util = require('@alicloud/openapi-util').default;

// toObject turns [name, value] pairs into the object the SDK takes, names
// lowercased with lower.
function toObject(pairs, lower) {
  const o = {};
  for (const [k, v] of pairs || []) {
    o[lower ? k.toLowerCase() : k] = v;
  }
  return o;
}

function sign(r) {
  switch (r.style) {
    case 'rpc': {
      // The SDK signs the query and the form body together.
      const params = toObject([...(r.query || []), ...(r.form || [])], false);
      return { id: r.id, signature: Util.getRPCSignature(params, r.method, r.secret) };
    }
    case 'roa': {
      // The SDK reads the four standard headers by lowercase name and writes
      // whatever it finds: an absent one must be '' (not undefined).
      const headers = toObject(r.headers, true);
      for (const h of ['accept', 'content-md5', 'content-type', 'date']) {
        if (headers[h] === undefined) headers[h] = '';
      }
      const sts = Util.getStringToSign({ method: r.method, pathname: r.path, headers, query: toObject(r.query, false) });
      const signature = Util.getROASignature(sts, r.secret);
      return { id: r.id, string_to_sign: sts, signature, authorization: `acs ${r.access_key_id}:${signature}` };
    }
    case 'v3': {
      // As @alicloud/openapi-client's doRequest: the encoded path, host among
      // the headers, the payload hash from x-acs-content-sha256.
      const headers = toObject(r.headers, false);
      headers.host = r.host;
      const payload = (r.headers.find(([k]) => k.toLowerCase() === 'x-acs-content-sha256') || [])[1] || '';
      const request = { method: r.method, pathname: Util.getEncodePath(r.path), headers, query: toObject(r.query, false) };
      const authorization = Util.getAuthorization(request, 'ACS3-HMAC-SHA256', payload, r.access_key_id, r.secret);
      return { id: r.id, signature: authorization.split(',Signature=')[1], authorization };
    }
  }
  return { id: r.id, error: `unknown style ${r.style}` };
}

readline.createInterface({ input: process.stdin, crlfDelay: Infinity }).on('line', (line) => {
  let reply;
  try {
    reply = sign(JSON.parse(line));
  } catch (e) {
    reply = { id: 'unknown', error: String(e) };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
});
