package corpus

// Readme is the README.md of an exported corpus: what each file is, for a
// reader in any language.
const Readme = `# POP signing vectors (acsharness)

Test cases for a signer of the Alibaba Cloud POP signed-request protocol in its three
styles: RPC (HMAC-SHA1, SignatureVersion=1.0), ROA (` + "`Authorization: acs AK:Signature`" + `) and
V3 (ACS3-HMAC-SHA256). Written by ` + "`acsharness vectors export`" + `.

- ` + "`golden/<family>/<case>/`" + `: the golden vectors of the protocol spec (the official
  documentation's examples and requests captured from the official SDKs).
- ` + "`random/<style>/<NNNN>/`" + `: random hard cases (spaces, ` + "`+`, `*`, `~`, `%`" + `, CJK, emoji, empty
  values, ` + "`Key.N`" + ` lists, names that differ only in case, repeated headers, bodies). The same
  ` + "`--seed`" + ` gives the same cases.

Every expected value was computed by acsharness's reference signer, which is proven byte for
byte against the official SDKs (alibaba-cloud-sdk-go, openapi-util, darabonba-openapi), and
acsharness's own tests re-verify every exported case with those SDKs.

## One folder per case

| file | what it holds |
|---|---|
| ` + "`input.json`" + ` | the inputs: ` + "`id`, `style` (rpc, roa, v3), `method`, `host`, `path` (decoded), `query` (decoded `[name, value]` pairs in wire order), `form` (RPC only: decoded pairs of a form body), `headers` (`[name, value]` pairs as sent, Host and Authorization excepted), `body` (as sent), `access_key_id`, `secret`, `timestamp`, `nonce`" + ` |
| ` + "`request.http`" + ` | the request before signing, as HTTP/1.1 text (lines end in LF) |
| ` + "`canonical.txt`" + ` | step 1, the canonical form: RPC the canonical query string; ROA the canonicalized ` + "`x-acs-*`" + ` headers and resource; V3 the canonical request |
| ` + "`string-to-sign.txt`" + ` | step 2, the string to sign |
| ` + "`signature.txt`" + ` | step 3, the signature (base64 for RPC and ROA, lowercase hex for V3) |
| ` + "`authorization.txt`" + ` | step 4 (ROA, V3), the ` + "`Authorization`" + ` header value |
| ` + "`url.txt`" + ` | the final URL (RPC: with the ` + "`Signature`" + ` parameter, encoded as the SDKs send it) |
| ` + "`signed.http`" + ` | the request as it goes on the wire, signed |
| ` + "`source.txt`" + ` | where the expected values come from |

Step files hold the exact bytes of the step with no trailing newline: compare them byte for
byte. A case is complete: every common parameter (RPC) or header (ROA, V3) is already among
the inputs, the nonce and the timestamp included, so a signer signs exactly what it is given
and adds nothing. The secrets are test values made up for the cases, never anyone's
credentials.

Rules worth knowing (docs/protocol.md sections):

- RPC signs the query and the form body together, every parameter but ` + "`Signature`" + `, sorted
  by name in byte order, with ` + "`Key=`" + ` for an empty value; the key is the secret followed by
  ` + "`&`" + ` (§1.2–§1.4).
- ROA signs the decoded path and raw (unencoded) query values, a bare ` + "`k`" + ` for an empty
  value (official TypeScript and Python clients sign ` + "`k=`" + `, an accepted variant), every
  ` + "`x-acs-*`" + ` header lowercased and trimmed, an empty line for an absent Accept, Content-MD5,
  Content-Type or Date; the key is the bare secret (§2.2, §2.3).
- V3 signs ` + "`host`" + `, ` + "`content-type`" + ` and every ` + "`x-acs-*`" + ` header present, repeated values
  sorted and joined with ` + "`,`" + `; query names as they are, values percent-encoded (§3.2).

## The other files

- ` + "`index.json`" + `: the generator, the seed, the number of random cases per style, and every
  case's ` + "`id`" + ` (its folder), style and source; a golden case signed in a form official clients
  disagree on, other than the one acsharness's reference signer uses, names it (` + "`variant`" + `):
  a signer may produce either form.
- ` + "`cases.jsonl`" + `: every ` + "`input.json`" + `, one per line: exactly the request lines that
  ` + "`acsharness signer check`" + ` sends to a signer on its standard input.

## Checking a signer

Run a signer over these cases yourself, or let ` + "`acsharness signer check --exec 'CMD ARGS'`" + `
drive it: one JSON object per line in (an ` + "`input.json`" + `), one out (` + "`id`, `signature`" + `, and
optionally ` + "`canonical`, `string_to_sign`, `authorization`" + `); it names the first step where a
signer departs and measures its throughput.
`
