package signature_test

import (
	"fmt"
	"time"

	"github.com/acsharness/acsharness/signature"
)

// The official RPC vector of the signature docs (docs/protocol.md §1.7.2).
func ExampleSignRPC() {
	params := signature.Params{
		{Key: "AccessKeyId", Value: "testid"},
		{Key: "Action", Value: "DescribeDedicatedHosts"},
		{Key: "Format", Value: "JSON"},
		{Key: "RegionId", Value: "cn-beijing"},
		{Key: "SignatureMethod", Value: "HMAC-SHA1"},
		{Key: "SignatureNonce", Value: "edb2b34af0af9a6d14deaf7c1a5315eb"},
		{Key: "SignatureVersion", Value: "1.0"},
		{Key: "Timestamp", Value: "2023-03-13T08:34:30Z"},
		{Key: "Version", Value: "2014-05-26"},
	}
	a := signature.SignRPC("GET", params, "testsecret")
	fmt.Println(a.Signature)
	// Output: 9NaGiOspFP5UPcwX8Iwt2YJXXuk=
}

// A Builder stamps a request with a timestamp and a nonce and signs it;
// the result can be inspected, changed, and sent.
func ExampleBuilder_Sign() {
	b := &signature.Builder{
		Credentials: signature.Credentials{AccessKeyID: "testid", AccessKeySecret: "testsecret"},
		Now:         func() time.Time { return time.Date(2020, 5, 19, 10, 33, 56, 0, time.UTC) },
		Nonce:       func() string { return "15215528852396" },
	}
	s, err := b.Sign(signature.Request{
		Style:    signature.RPC,
		Method:   "POST",
		Endpoint: "https://onsmqtt.cn-hangzhou.aliyuncs.com",
		Action:   "SendMessage",
		Version:  "2020-04-20",
		Format:   "JSON",
		Query:    signature.Params{{Key: "Payload", Value: "hello world"}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Artifacts.Signature)
	fmt.Println(s.URL())
	// Output:
	// l1mh/7Sfasz9n80YY+BffODWp1Q=
	// https://onsmqtt.cn-hangzhou.aliyuncs.com/?AccessKeyId=testid&Action=SendMessage&Format=JSON&Payload=hello+world&Signature=l1mh%2F7Sfasz9n80YY%2BBffODWp1Q%3D&SignatureMethod=HMAC-SHA1&SignatureNonce=15215528852396&SignatureVersion=1.0&Timestamp=2020-05-19T10%3A33%3A56Z&Version=2020-04-20
}

// A template signs one action again and again into a reused buffer, with a
// fresh nonce and timestamp each time and no allocation: the load
// generator's hot path.
func ExampleRPCTemplate() {
	t, err := signature.NewRPCTemplate("GET", signature.Params{
		{Key: "AccessKeyId", Value: "testid"},
		{Key: "Action", Value: "DescribeDedicatedHosts"},
		{Key: "Format", Value: "JSON"},
		{Key: "RegionId", Value: "cn-beijing"},
		{Key: "SignatureMethod", Value: "HMAC-SHA1"},
		{Key: "SignatureVersion", Value: "1.0"},
		{Key: "Version", Value: "2014-05-26"},
	}, "testsecret")
	if err != nil {
		panic(err)
	}
	var buf []byte
	ts := signature.AppendTimestamp(nil, time.Date(2023, 3, 13, 8, 34, 30, 0, time.UTC))
	buf = t.AppendSignature(buf[:0], []byte("edb2b34af0af9a6d14deaf7c1a5315eb"), ts)
	fmt.Println(string(buf))
	// Output: 9NaGiOspFP5UPcwX8Iwt2YJXXuk=
}

// A gateway parses the query it received and checks the signature.
func ExampleVerifyRPC() {
	raw := "AccessKeyId=testid&Action=SendMessage&Format=JSON&Payload=hello+world&Signature=l1mh%2F7Sfasz9n80YY%2BBffODWp1Q%3D&SignatureMethod=HMAC-SHA1&SignatureNonce=15215528852396&SignatureVersion=1.0&Timestamp=2020-05-19T10%3A33%3A56Z&Version=2020-04-20"
	params, err := signature.ParseQuery(nil, raw)
	if err != nil {
		panic(err)
	}
	_, ok := signature.VerifyRPC("POST", params, "testsecret")
	fmt.Println(ok)
	_, ok = signature.VerifyRPC("POST", params, "wrongsecret")
	fmt.Println(ok)
	// Output:
	// true
	// false
}
