package deposit

// IEC is iec, for tests.
var IEC = iec
