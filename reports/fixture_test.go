package reports

import (
	"time"

	"github.com/acsharness/acsharness/conformance"
)

// Planted material the runner should have redacted: no format may show it.
const (
	plantedSignature = "abc%2Bdef%3D"
	plantedROASig    = "SIGVALUE"
	plantedSecret    = "planted-s3cret-7Qx"
)

var started = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// roaOurs is a ROA string to sign (docs/protocol.md §2): method, Accept,
// Content-MD5, Content-Type, Date, the x-acs- headers, the resource.
const roaOurs = "POST\napplication/json\n\napplication/x-www-form-urlencoded\nWed, 04 Mar 2026 05:06:07 GMT\n" +
	"x-acs-security-token:" + plantedSecret + "\nx-acs-signature-method:HMAC-SHA1\nx-acs-signature-nonce:3f1c\n" +
	"x-acs-signature-version:1.0\nx-acs-version:2020-04-20\n/topics/中文?a=1&b=2&c=3"

// roaTheirs differs in the resource: the gateway kept "+" unencoded.
const roaTheirs = "POST\napplication/json\n\napplication/x-www-form-urlencoded\nWed, 04 Mar 2026 05:06:07 GMT\n" +
	"x-acs-security-token:" + plantedSecret + "\nx-acs-signature-method:HMAC-SHA1\nx-acs-signature-nonce:3f1c\n" +
	"x-acs-signature-version:1.0\nx-acs-version:2020-04-20\n/topics/中文?a=1&b=3&c=3"

// rpcOurs is an RPC string to sign (docs/protocol.md §1.4) and rpcCanonical its
// canonical query string; the gateway's echo swaps two parameters.
const (
	rpcCanonical = "AccessKeyId=testid&Action=OnsInstanceInServiceList&Format=JSON&SignatureMethod=HMAC-SHA1&SignatureNonce=n2&Timestamp=2026-03-04T05%3A06%3A07Z"
	rpcOurs      = "GET&%2F&AccessKeyId%3Dtestid%26Action%3DOnsInstanceInServiceList%26Format%3DJSON%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dn2%26Timestamp%3D2026-03-04T05%253A06%253A07Z"
	rpcTheirs    = "GET&%2F&AccessKeyId%3Dtestid%26Action%3DOnsInstanceInServiceList%26Format%3DJSON%26SignatureNonce%3Dn2%26SignatureMethod%3DHMAC-SHA1%26Timestamp%3D2026-03-04T05%253A06%253A07Z"
)

// v3Canonical is a V3 canonical request (docs/protocol.md §3.3) carrying a
// security token; a V3 string to sign holds only its hash.
const v3Canonical = "POST\n/\nPayload=a%20b\nhost:gw.example.test\nx-acs-action:SendMessage\nx-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n" +
	"x-acs-date:2026-03-04T05:06:07Z\nx-acs-security-token:" + plantedSecret + "\nx-acs-signature-nonce:3f1d\nx-acs-version:2020-04-20\n\n" +
	"host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// fixture is a hand-made report with every shape a renderer meets.
func fixture() *conformance.Report {
	sorted := &conformance.Mismatch{Ours: rpcOurs, Theirs: rpcTheirs, At: 87, Canonical: rpcCanonical}
	return &conformance.Report{
		Tool:     "acsharness",
		Target:   "https://ops:" + plantedSecret + "@gw.example.test:8443",
		Products: []string{"ons", "mqtt"},
		Started:  started,
		Duration: 3.25,
		Totals:   conformance.Totals{Cases: 12, Pass: 3, Warn: 1, Fail: 6, Skip: 2},
		ByCategory: []conformance.Totals{
			{Category: "signature", Cases: 3, Pass: 1, Fail: 2},
			{Category: "timestamp", Cases: 1, Skip: 1},
			{Category: "nonce", Cases: 1, Fail: 1},
			{Category: "encoding", Cases: 2, Fail: 1, Skip: 1},
			{Category: "envelope", Cases: 4, Pass: 1, Warn: 1, Fail: 2},
			{Category: "parameters", Cases: 1, Pass: 1},
		},
		Diagnosis: &conformance.Diagnosis{
			WrongSecret: conformance.WrongSecret, SameEcho: 3, OtherEcho: 2,
			Case: "signature/sorted-params[rpc/ons]", Mismatch: sorted,
		},
		Results: []conformance.Result{
			{
				ID: "signature/valid[rpc/ons]", ScenarioID: "signature/valid", Title: "A correctly signed request succeeds",
				Category: "signature", Style: "rpc", Product: "ons", Spec: "docs/protocol.md §1", Status: conformance.Pass,
				Rules:    []string{"sig.rpc.valid", "env.format.accept-default"},
				Findings: []conformance.Finding{{Rule: "env.format.accept-default", Level: conformance.May, Step: 1, Message: "answered XML to a request asking no format, expected JSON"}},
				Expected: "200 with a RequestId", Observed: "200 JSON", Duration: 0.012,
				File: "scenarios/signature.yaml", Line: 12,
				Steps: []conformance.StepTrace{{
					Request: conformance.RequestTrace{
						Method: "GET",
						URL: "https://gw.example.test:8443/?AccessKeyId=testid&Action=OnsInstanceInServiceList" +
							"&SecurityToken=" + plantedSecret + "&Signature=" + plantedSignature + "&SignatureMethod=HMAC-SHA1&SignatureNonce=n1",
						Headers: map[string]string{"User-Agent": "acsharness", "Accept": "application/json"},
					},
					Response: conformance.ResponseTrace{
						Status:  200,
						Headers: map[string]string{"Content-Type": "application/json", "X-Acs-Request-Id": "5E2C9A1B-0000-4000-8000-000000000001"},
						Body:    `{"RequestId":"5E2C9A1B-0000-4000-8000-000000000001","Data":[]}`,
					},
				}},
			},
			{
				ID: "signature/sorted-params[rpc/ons]", ScenarioID: "signature/sorted-params", Title: "Parameters are signed in byte order",
				Category: "signature", Style: "rpc", Product: "ons", Spec: "docs/protocol.md §1.3", Status: conformance.Fail,
				Expected: "200 with a RequestId", Observed: "400 SignatureDoesNotMatch",
				Reason: "step 1: status 400 SignatureDoesNotMatch, expected 200", Duration: 0.021,
				Rules:    []string{"sig.rpc.sort"},
				Findings: []conformance.Finding{{Rule: "sig.rpc.sort", Level: conformance.Must, Step: 1, Message: "status 400 SignatureDoesNotMatch, expected 200"}},
				Mismatch: sorted,
				Steps: []conformance.StepTrace{{
					Request: conformance.RequestTrace{
						Method: "GET", URL: "https://gw.example.test:8443/?Action=OnsInstanceInServiceList&Signature=[redacted]",
						Headers: map[string]string{},
					},
					Response: conformance.ResponseTrace{
						Status: 400, Headers: map[string]string{"Content-Type": "application/json"},
						Body: `{"Code":"SignatureDoesNotMatch","Message":"server string to sign is:GET&%2F&..."}`,
					},
					Failures: []string{"status 400 SignatureDoesNotMatch, expected 200"},
				}},
			},
			{
				ID: "signature/roa-resource[roa/mqtt]", ScenarioID: "signature/roa-resource", Title: "The resource keeps its query, sorted",
				Category: "signature", Style: "roa", Product: "mqtt", Spec: "docs/protocol.md §2.4", Status: conformance.Fail,
				Expected: "200 with a RequestId", Observed: "400 IncompleteSignature",
				Reason: "step 1: the echoed server string to sign differs from ours", Duration: 0.034,
				Rules: []string{"sig.roa.resource", "sig.mismatch.echo", "sig.mismatch.message"},
				Findings: []conformance.Finding{
					{Rule: "sig.mismatch.echo", Level: conformance.Must, Step: 1, Message: "the echoed server string to sign differs from ours at byte 253"},
					{Rule: "sig.mismatch.message", Level: conformance.Should, Step: 1, Message: `the IncompleteSignature message reads "got Authorization: acs testid:` + plantedROASig + `="`},
				},
				Mismatch: &conformance.Mismatch{Ours: roaOurs, Theirs: roaTheirs, At: 1},
				Steps: []conformance.StepTrace{{
					Name: "post",
					Request: conformance.RequestTrace{
						Method: "POST", URL: "https://gw.example.test:8443/topics/%E4%B8%AD%E6%96%87?a=1&b=2&c=3",
						Headers: map[string]string{
							"Authorization":        "acs testid:" + plantedROASig + "=",
							"X-Acs-Security-Token": plantedSecret,
							"Date":                 "Wed, 04 Mar 2026 05:06:07 GMT",
						},
						Body: "Name=%E4%B8%AD&Password=" + plantedSecret,
					},
					Response: conformance.ResponseTrace{
						Status: 400, Headers: map[string]string{"Content-Type": "application/json"},
						Body: `{"Code":"IncompleteSignature","Message":"got Authorization: acs testid:` + plantedROASig +
							`= for ` + "\n" + `server string to sign is:POST...","AccessKeySecret":"` + plantedSecret + `"}`,
					},
					Failures: []string{"the echoed server string to sign differs from ours"},
				}},
			},
			{
				ID: "timestamp/inactive-key[rpc/ons]", ScenarioID: "timestamp/inactive-key", Title: "An inactive key is refused",
				Category: "timestamp", Style: "rpc", Product: "ons", Status: conformance.Skip,
				Reason: "no inactive key to check InvalidAccessKeyId.Inactive", Enable: "pass --inactive-key-id ID (a disabled key of the target)",
			},
			{
				ID: "nonce/replay-concurrent[v3/ons]", ScenarioID: "nonce/replay-concurrent", Title: "Four copies of one nonce: one wins",
				Category: "nonce", Style: "v3", Product: "ons", Spec: "docs/protocol.md §3.5", Status: conformance.Fail,
				Expected: "exactly 1 of 4 copies succeeds, the others 400 SignatureNonceUsed",
				Observed: "200, 400 SignatureNonceUsed, 200, 400 SignatureNonceUsed",
				Reason:   "step 1: 2 of 4 concurrent copies succeeded, expected exactly 1", Duration: 0.05,
				Rules:    []string{"nonce.atomic"},
				Findings: []conformance.Finding{{Rule: "nonce.atomic", Level: conformance.Must, Step: 1, Message: "2 of 4 concurrent copies succeeded, expected exactly 1"}},
				Steps: []conformance.StepTrace{{
					Name: "race",
					Request: conformance.RequestTrace{
						Method: "POST", URL: "https://gw.example.test:8443/",
						Headers: map[string]string{
							"Authorization": "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-date,Signature=" + plantedSignature,
							"x-acs-date":    "2026-03-04T05:06:07Z",
						},
					},
					Response: conformance.ResponseTrace{Status: 200, Body: `{"RequestId":"A"}`},
					Statuses: []int{200, 400, 200, 400},
					Failures: []string{"2 of 4 concurrent copies succeeded, expected exactly 1"},
				}},
			},
			{
				ID: "encoding/pipes[roa/mqtt]", ScenarioID: "encoding/pipes", Title: "Pipes | in a path",
				Category: "encoding", Style: "roa", Product: "mqtt", Status: conformance.Skip,
				Reason: "the profile has no ROA route | <none> & \"x\"", Enable: "add a roa: route to the --profile file",
			},
			{
				ID: "envelope/escaping[v3/ons]", ScenarioID: "envelope/escaping", Title: `Values <b>&"quoted"</b> | pipes 中文 🚀`,
				Category: "envelope", Style: "v3", Product: "ons", Status: conformance.Fail,
				Expected: "a | b\nsecond line <ok> & \"fine\"",
				Observed: "<script>alert(\"x\")</script> & 🚀 中文 | done",
				Reason:   "step 1: \x1b[31mred\x1b[0m\nAccessKeySecret=" + plantedSecret, Duration: 0.002,
				Findings: []conformance.Finding{{Level: conformance.Must, Step: 1, Message: "\x1b[31mred\x1b[0m AccessKeySecret=" + plantedSecret + " <b>&</b> | pipe"}},
				Steps: []conformance.StepTrace{{
					Request:  conformance.RequestTrace{Method: "GET", URL: "https://gw.example.test:8443/?q=<&>", Headers: map[string]string{}},
					Response: conformance.ResponseTrace{Error: "read tcp: connection reset by peer"},
					Failures: []string{"no answer: read tcp: connection reset by peer"},
				}},
			},
			{
				ID: "envelope/trace-id[rpc/ons]", ScenarioID: "envelope/trace-id", Title: "Every answer carries x-acs-trace-id",
				Category: "envelope", Style: "rpc", Product: "ons", Spec: "docs/protocol.md §5", Status: conformance.Warn,
				Rules:    []string{"env.trace-id"},
				Expected: "200 success", Observed: "200 success JSON", Reason: "step 1: [env.trace-id should] x-acs-trace-id \"\", expected 32 hex digits",
				Findings: []conformance.Finding{
					{Rule: "env.trace-id", Level: conformance.Should, Step: 1, Message: `x-acs-trace-id "", expected 32 hex digits`},
					{Rule: "ts.offset", Level: conformance.May, Step: 1, Message: "a +08:00 time refused as expired"},
				},
			},
			{
				ID: "parameters/format-xml[roa/mqtt]", ScenarioID: "parameters/format-xml", Title: "Format=XML answers XML",
				Category: "parameters", Style: "roa", Product: "mqtt", Status: conformance.Pass,
				Expected: "200 XML", Observed: "200 XML", Duration: 0.009,
			},
			{
				ID: "envelope/request-id-unique[run]", ScenarioID: "envelope/request-id-unique", Title: "Every response of the run carries its own RequestId",
				Category: "envelope", Style: "all", Product: "all", Spec: "docs/protocol.md §5", Status: conformance.Pass,
				Expected: "every x-acs-request-id distinct", Observed: "9 responses, 9 distinct RequestIds",
			},
			{
				ID: "envelope/format-xml[rpc/ons]", ScenarioID: "envelope/format-xml", Title: "Format=XML answers XML",
				Category: "envelope", Style: "rpc", Product: "ons", Spec: "docs/protocol.md §5", Status: conformance.Fail,
				Rules:    []string{"env.format.rpc"},
				Expected: "200 success", Observed: "200 success JSON",
				Reason: "step 1: [env.format.rpc must] answered JSON to a request asking Format=XML, expected XML",
				Cause:  "answered JSON to a request asking Format=XML, expected XML", Duration: 0.004,
				Findings: []conformance.Finding{{Rule: "env.format.rpc", Level: conformance.Must, Step: 1, Message: "answered JSON to a request asking Format=XML, expected XML"}},
			},
			{
				ID: "encoding/space[v3/ons]", ScenarioID: "encoding/space", Title: "A space is signed as %20",
				Category: "encoding", Style: "v3", Product: "ons", Spec: "docs/protocol.md §3.2", Status: conformance.Fail,
				Rules:    []string{"enc.percent"},
				Expected: "200 success", Observed: "400 SignatureDoesNotMatch JSON",
				Reason: "step 1: [enc.percent must] status 400, expected [200]", Duration: 0.006,
				Findings: []conformance.Finding{{Rule: "enc.percent", Level: conformance.Must, Step: 1, Message: "status 400, expected [200]"}},
				Mismatch: &conformance.Mismatch{
					Ours:      "ACS3-HMAC-SHA256\n7d2f1c6d7a0e4b4f0fb3a8e9c2d1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a09",
					Theirs:    "ACS3-HMAC-SHA256\n0c9b8a7f6e5d4c3b2a1908f7e6d5c4b3a2918f7e6d5c4b3a29180f7e6d5c4b3a",
					At:        17,
					Canonical: v3Canonical,
				},
			},
		},
	}
}

// selftestFixture is a self-test with a caught fault, a missed one and
// names that need escaping.
func selftestFixture() *conformance.SelfTestReport {
	base := fixture()
	var passing []conformance.Result
	for _, r := range base.Results {
		if r.Status != conformance.Fail && r.Status != conformance.Warn {
			passing = append(passing, r)
		}
	}
	base.Results = passing
	return &conformance.SelfTestReport{
		Baseline: base,
		Faults: []conformance.FaultResult{
			{
				Fault:       conformance.Fault{Name: "signature-prefix", Category: "signature", About: "compares only the first 8 characters of the signature", Rules: []string{"sig.mismatch.refused"}},
				RulesCaught: []string{"sig.mismatch.refused"},
				CaughtBy: []string{
					"signature/flip-last[rpc/ons]", "signature/flip-last[rpc/mqtt]", "signature/wrong-secret[rpc/ons]",
					"signature/case[v3/ons]", "signature/roa-resource[roa/mqtt]", "signature/sorted-params[rpc/ons]",
				},
			},
			{
				Fault: conformance.Fault{Name: "nonce-ignored", Category: "nonce", About: "accepts a replayed SignatureNonce <within> 15 min & \"quotes\"", Rules: []string{"nonce.replay"}},
			},
			{
				Fault:       conformance.Fault{Name: "時刻-skew 🚀", Category: "timestamp", About: "accepts timestamps an hour old", Rules: []string{"ts.window"}},
				CaughtBy:    []string{"timestamp/stale[v3/ons]"},
				RulesCaught: []string{"ts.window"},
			},
		},
		Rules: []conformance.RuleMatrix{
			{Rule: "sig.mismatch.refused", Level: conformance.Must, Faults: []conformance.FaultCatch{{Fault: "signature-prefix", Caught: true}}},
			{Rule: "nonce.replay", Level: conformance.Must, Faults: []conformance.FaultCatch{{Fault: "nonce-ignored"}}},
			{Rule: "ts.window", Level: conformance.Must, Faults: []conformance.FaultCatch{{Fault: "時刻-skew 🚀", Caught: true}}},
			{Rule: "env.trace-id", Level: conformance.Should},
		},
		Score: 2.0 / 3,
	}
}
