package gateway

import (
	"fmt"
	"net/http"
)

// apiError is an error answered with the POP error envelope (docs/protocol.md §5).
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// Error codes and message texts of docs/protocol.md §4, exactly as the real gateway
// answers them. Codes marked [INF] in the spec are documented choices.
const (
	CodeInvalidProduct         = "InvalidProduct.NotFound"
	CodeUnsupportedHTTPMethod  = "UnsupportedHTTPMethod"
	CodeInvalidFormat          = "InvalidParameter.Format"
	CodeInvalidSignatureMethod = "InvalidSignatureMethod"
	CodeInvalidVersion         = "InvalidVersion"
	CodeInvalidAction          = "InvalidAction.NotFound"
	CodeTimestampFormat        = "InvalidTimeStamp.Format"
	CodeTimestampExpired       = "InvalidTimeStamp.Expired"
	CodeNonceUsed              = "SignatureNonceUsed"
	CodeKeyNotFound            = "InvalidAccessKeyId.NotFound"
	CodeKeyInvalid             = "InvalidAccessKeyId" // the short form of docs/protocol.md §9 F5, a setting
	CodeParameterMalformed     = "RequestParameterMalformed"
	CodeKeyInactive            = "InvalidAccessKeyId.Inactive"
	CodeSignatureDoesNotMatch  = "SignatureDoesNotMatch"
	CodeIncompleteSignature    = "IncompleteSignature"
	CodeThrottlingUser         = "Throttling.User"
	CodeMissingParameter       = "MissingParameter"
	CodeInvalidParameter       = "InvalidParameter"
	CodeInternalError          = "InternalError"
	CodeServiceUnavailable     = "ServiceUnavailable"
	// Limits on hostile input; not from the spec, documented in the README.
	CodeBodyTooLarge   = "RequestBodyTooLarge"
	CodeBodyTimeout    = "RequestTimeout"
	CodeHeaderTooLarge = "RequestHeaderTooLarge"
	CodeTooManyParams  = "InvalidParameter.TooMany"
	// Backend conditions of the in-memory actions.
	CodeResourceExists   = "ResourceAlreadyExists"
	CodeResourceNotFound = "ResourceNotFound"
	CodeQuotaExceeded    = "QuotaExceeded"
)

// Message texts (docs/protocol.md §4).
const (
	msgInvalidProduct   = "Cannot find product according to your specified domain."
	msgUnsupportedHTTP  = "This http method not supported."
	msgInvalidFormat    = "Specified parameter format is not valid."
	msgInvalidSigMethod = "Specified signature method is not valid."
	msgInvalidVersion   = "Specified parameter Version is not valid."
	msgInvalidAction    = "Specified api is not found, please check your url and method."
	msgTimestampFormat  = "Specified time stamp or date value is not well formatted."
	msgTimestampExpired = "Specified time stamp or date value is expired."
	msgNonceUsed        = "Specified signature nonce was used already."
	msgKeyNotFound      = "Specified access key is not found."
	msgKeyInvalid       = "Specified access key is not found or invalid."
	msgMalformed        = "Request parameters has malformed encoded characters."
	msgKeyInactive      = "Specified access key is disabled."
	msgThrottlingUser   = "Request was denied due to user flow control."
	msgInternalError    = "The request processing has failed due to some unknown error, exception or failure."
	msgUnavailable      = "The request has failed due to a temporary failure of the server."
	// The marker after which the official SDK reads the server string to
	// sign and compares it with its own (docs/protocol.md §5).
	StringToSignMarker = "server string to sign is:"
	msgMismatch        = "Specified signature is not matched with our calculation. " + StringToSignMarker
	msgIncomplete      = "The request signature does not conform to Aliyun standards. " + StringToSignMarker
	msgMismatchV3      = "Specified signature does not match our calculation. server StringToSign is ["
)

func errf(status int, code, format string, a ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, a...)}
}

var (
	errInvalidProduct  = &apiError{http.StatusNotFound, CodeInvalidProduct, msgInvalidProduct}
	errUnsupportedHTTP = &apiError{http.StatusBadRequest, CodeUnsupportedHTTPMethod, msgUnsupportedHTTP}
	errInvalidFormat   = &apiError{http.StatusBadRequest, CodeInvalidFormat, msgInvalidFormat}
	errInvalidSigMeth  = &apiError{http.StatusBadRequest, CodeInvalidSignatureMethod, msgInvalidSigMethod}
	errInvalidVersion  = &apiError{http.StatusBadRequest, CodeInvalidVersion, msgInvalidVersion}
	errInvalidAction   = &apiError{http.StatusNotFound, CodeInvalidAction, msgInvalidAction}
	errTSFormat        = &apiError{http.StatusBadRequest, CodeTimestampFormat, msgTimestampFormat}
	errTSExpired       = &apiError{http.StatusBadRequest, CodeTimestampExpired, msgTimestampExpired}
	errNonceUsed       = &apiError{http.StatusBadRequest, CodeNonceUsed, msgNonceUsed}
	errKeyNotFound     = &apiError{http.StatusNotFound, CodeKeyNotFound, msgKeyNotFound}
	errKeyInvalid      = &apiError{http.StatusBadRequest, CodeKeyInvalid, msgKeyInvalid}
	errMalformed       = &apiError{http.StatusBadRequest, CodeParameterMalformed, msgMalformed}
	errKeyInactive     = &apiError{http.StatusBadRequest, CodeKeyInactive, msgKeyInactive}
	errThrottled       = &apiError{http.StatusBadRequest, CodeThrottlingUser, msgThrottlingUser}
	errInternal        = &apiError{http.StatusInternalServerError, CodeInternalError, msgInternalError}
	errUnavailable     = &apiError{http.StatusServiceUnavailable, CodeServiceUnavailable, msgUnavailable}
)

// errMissing is Missing<Name>: a common parameter or header is absent; the
// name is case-sensitive (docs/protocol.md §4.2 step 3).
func errMissing(name string) *apiError {
	return &apiError{http.StatusBadRequest, "Missing" + name, name + " is mandatory for this action."}
}

// MissingStyle selects how an absent business parameter is reported
// (docs/protocol.md §4: products differ).
type MissingStyle string

// The three forms observed for a missing business parameter.
const (
	MissingPlain  MissingStyle = "plain"  // MissingParameter, `The input parameter "X" that is mandatory ...`
	MissingDotted MissingStyle = "dotted" // MissingParameter.X (seed 001)
	MissingNamed  MissingStyle = "named"  // MissingX, `X is mandatory for this action.` (ddoscoo)
)

func errMissingParameter(style MissingStyle, name string) *apiError {
	msg := `The input parameter "` + name + `" that is mandatory for processing this request is not supplied.`
	switch style {
	case MissingDotted:
		return &apiError{http.StatusBadRequest, CodeMissingParameter + "." + name, msg}
	case MissingNamed:
		return errMissing(name)
	}
	return &apiError{http.StatusBadRequest, CodeMissingParameter, msg}
}

func errInvalidParameter(name string) *apiError {
	return &apiError{http.StatusBadRequest, CodeInvalidParameter, `The specified parameter "` + name + `" is not valid.`}
}
