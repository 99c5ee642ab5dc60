package signature

// Form is one way an official client writes one aspect of a signed request,
// where the official clients do not all agree. A gateway must accept every
// form an official client produces; a client report names the official
// clients that share a client's choice (docs/protocol.md, "Forms").
type Form struct {
	Style  Style  `json:"style"`
	Aspect string `json:"aspect"` // what varies, e.g. "roa.empty-query-value"
	// Variant is the form itself, as it appears in the string to sign or on
	// the wire, e.g. "k" or "k=".
	Variant string `json:"variant"`
	// Clients are the official clients that produce this form, with their
	// versions where it matters.
	Clients []string `json:"clients"`
	// Source is where the behaviour is documented or was observed.
	Source string `json:"source"`
}

// Client names used in Forms.
const (
	ClientAliyunSDKGo     = "alibaba-cloud-sdk-go"
	ClientOpenAPIUtilGo   = "openapi-util (Go)"
	ClientDarabonbaGo     = "darabonba-openapi (Go)"
	ClientOpenAPIUtilTS   = "@alicloud/openapi-util (TypeScript)"
	ClientOpenAPIClientTS = "@alicloud/openapi-client (TypeScript)"
	ClientPopCoreNode     = "@alicloud/pop-core (Node)"
	ClientPythonCore      = "aliyun-python-sdk-core"
)

// Aspects of a request on which official clients differ.
const (
	AspectRPCFormatCase     = "rpc.format-case"    // Format=JSON or Format=json
	AspectRPCSignatureType  = "rpc.signature-type" // SignatureType= sent empty, or absent
	AspectRPCRegionID       = "rpc.region-id"      // RegionId always added, or only when given
	AspectRPCWireSpace      = "rpc.wire-space"     // a space on the wire as + or %20
	AspectROAEmptyValue     = "roa.empty-query-value"
	AspectROAPath           = "roa.path"             // the canonical resource's path escaped or decoded
	AspectROAContentMD5     = "roa.content-md5"      // Content-MD5 sent or not
	AspectROANonce          = "roa.nonce"            // x-acs-signature-nonce sent or not
	AspectROAGetContentType = "roa.get-content-type" // Content-Type on a GET without a body
	AspectROAWireSpace      = "roa.wire-space"       // a space in the query on the wire as + or %20
	AspectROAHeaderCase     = "roa.header-case"      // the Date header's name on the wire: Date or date
)

// Forms lists the forms of docs/protocol.md §1.1, §1.5, §2.1, §2.2, §3.2, §7.14 and
// §9 F8/F9, with the official clients behind each. Every form is a fixed
// vector in signature/testdata/vectors/{rpc,roa}-forms.json, which the
// reference gateway accepts (gateway/forms_test.go), and every client named
// here that the tests can run (alibaba-cloud-sdk-go, darabonba-openapi,
// @alicloud/openapi-client, @alicloud/pop-core) is watched on the wire
// producing it.
var Forms = []Form{
	{RPC, AspectRPCFormatCase, "JSON", []string{ClientAliyunSDKGo, ClientPopCoreNode}, "docs/protocol.md §1.1, §7.14"},
	{RPC, AspectRPCFormatCase, "json", []string{ClientDarabonbaGo, ClientOpenAPIClientTS}, "docs/protocol.md §1.1, §7.14"},
	{RPC, AspectRPCSignatureType, "SignatureType=", []string{ClientAliyunSDKGo}, "docs/protocol.md §1.1"},
	{RPC, AspectRPCSignatureType, "absent", []string{ClientDarabonbaGo, ClientOpenAPIClientTS, ClientPopCoreNode}, "docs/protocol.md §1.1"},
	{RPC, AspectRPCRegionID, "always", []string{ClientAliyunSDKGo}, "docs/protocol.md §1.1, §7.14"},
	{RPC, AspectRPCRegionID, "when given", []string{ClientDarabonbaGo, ClientOpenAPIClientTS, ClientPopCoreNode}, "docs/protocol.md §7.14"},
	{RPC, AspectRPCWireSpace, "+", []string{ClientAliyunSDKGo, ClientDarabonbaGo}, "docs/protocol.md §1.5"},
	{RPC, AspectRPCWireSpace, "%20", []string{ClientOpenAPIClientTS, ClientPopCoreNode}, "docs/protocol.md §1.3, §1.5"},
	{ROA, AspectROAEmptyValue, "k", []string{ClientAliyunSDKGo, ClientOpenAPIUtilGo, ClientDarabonbaGo}, "docs/protocol.md §2.2, §9 F8"},
	{ROA, AspectROAEmptyValue, "k=", []string{ClientOpenAPIUtilTS, ClientOpenAPIClientTS, ClientPopCoreNode, ClientPythonCore}, "docs/protocol.md §2.2, §9 F8"},
	{ROA, AspectROAPath, "decoded", []string{ClientAliyunSDKGo}, "docs/protocol.md §2.2"},
	{ROA, AspectROAPath, "escaped", []string{ClientDarabonbaGo, ClientOpenAPIClientTS, ClientPopCoreNode}, "docs/protocol.md §3.2, §9 F9"},
	{ROA, AspectROAContentMD5, "sent", []string{ClientAliyunSDKGo, ClientPopCoreNode}, "docs/protocol.md §2.1"},
	{ROA, AspectROAContentMD5, "absent", []string{ClientDarabonbaGo, ClientOpenAPIClientTS}, "docs/protocol.md §2.1, §7.14"},
	{ROA, AspectROANonce, "sent", []string{ClientDarabonbaGo, ClientOpenAPIClientTS, ClientPopCoreNode}, "docs/protocol.md §2.1"},
	{ROA, AspectROANonce, "absent", []string{ClientAliyunSDKGo}, "docs/protocol.md §2.1, §7.14"},
	{ROA, AspectROAGetContentType, "application/octet-stream", []string{ClientAliyunSDKGo}, "docs/protocol.md §2.1, §7.14"},
	{ROA, AspectROAGetContentType, "absent", []string{ClientDarabonbaGo, ClientOpenAPIClientTS, ClientPopCoreNode}, "docs/protocol.md §2.1"},
	{ROA, AspectROAWireSpace, "+", []string{ClientAliyunSDKGo, ClientDarabonbaGo}, "docs/protocol.md §1.5, §2.5"},
	{ROA, AspectROAWireSpace, "%20", []string{ClientOpenAPIClientTS, ClientPopCoreNode}, "docs/protocol.md §1.3, §2.5"},
	{ROA, AspectROAHeaderCase, "Date", []string{ClientAliyunSDKGo}, "docs/protocol.md §2.1"},
	{ROA, AspectROAHeaderCase, "date", []string{ClientDarabonbaGo, ClientOpenAPIClientTS, ClientPopCoreNode}, "docs/protocol.md §2.1"},
}

// FormsOf returns the forms of one aspect, in the order of Forms.
func FormsOf(aspect string) []Form {
	var out []Form
	for _, f := range Forms {
		if f.Aspect == aspect {
			out = append(out, f)
		}
	}
	return out
}
