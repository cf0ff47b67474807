package i18n

import "regexp"

// EnglishWords matches the English words that must never appear in French
// text: the tests of every e-mail and every page look for them, from this
// one list.
var EnglishWords = regexp.MustCompile(`(?i)\b(file|files|download|downloaded|upload|uploaded|lawyer|lawyers|admin|token|deposit|deposited|deposits|recipient|recipients|reminder|reminders|expired|sign[ -]in|inbox|mailbox|settings|statistics|month|months|sent|received|firm|firms|chart)\b`)
