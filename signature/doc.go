// Package signature signs and verifies Alibaba Cloud POP requests in the three
// styles one gateway accepts: RPC (HMAC-SHA1, SignatureVersion=1.0), ROA
// ("Authorization: acs AK:Signature") and V3 (ACS3-HMAC-SHA256).
//
// Every style exposes its intermediate artefacts (the canonical form, the
// string to sign and the signature) through [Artifacts], so that a tool can
// show exactly where two implementations diverge. The rules follow
// docs/protocol.md §1 (RPC), §2 (ROA) and §3 (V3), and the output is byte-identical to
// the official Go SDKs (alibaba-cloud-sdk-go, openapi-util, darabonba-openapi),
// which the tests use as oracles.
//
// Three layers serve three kinds of caller:
//
//   - Plain functions ([SignRPC], [SignROA], [SignV3] and their Verify
//     counterparts) take a request description and return its artefacts.
//     They are the reference and the debugging path.
//   - [Builder] turns a [Request] into a [Signed] request with a fresh
//     timestamp and nonce, which can be altered before it becomes an
//     *http.Request: the conformance suite deviates from a correct request
//     there, and tools print it.
//   - Templates ([RPCTemplate], [ROATemplate], [V3Template]) precompute the
//     part of the string to sign that does not change between requests of one
//     action, and sign into a caller's buffer without allocating: the load
//     generator's hot path.
//
// A secret is held as a [Secret], which never prints itself.
package signature
