package corpus

// GoldenFrom reads golden vectors from another file system, for tests.
var GoldenFrom = goldenFrom
