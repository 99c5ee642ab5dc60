// Package signers holds example signers for `acsharness signer check`, each
// in its own folder, and the tests that run them: go-openapi-util and
// node-openapi-util are adapters over the official SDKs' signing libraries
// (nobody here wrote the signing), go-broken a deliberately broken signer
// the check must catch at the right step, python the README's 20-line
// example. Their tests are part of `make test`.
package signers
