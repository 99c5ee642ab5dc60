package conformance

// EchoedStringToSign extracts the string to sign a gateway echoes in an
// error message after "server string to sign is:" (pop-spec §4), for the
// load generator's diagnosis of a run where every signature failed.
func EchoedStringToSign(msg string) (string, bool) { return echoedStringToSign(msg) }
