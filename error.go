package digitbot

import (
	"errors"
	"fmt"
)

// Error codes. They are part of the CLI contract (digitbot predict --json)
// and of the bot's localised messages: do not rename them.
const (
	EINVALIDIMAGE     = "invalid_image"
	EUNSUPPORTED      = "unsupported_format"
	ETOOLARGE         = "too_large"
	ENODIGIT          = "no_digit"
	ETOOMANYDIGITS    = "too_many_digits"
	EFORBIDDEN        = "forbidden"
	EALREADYEVALUATED = "already_evaluated"
	ENOTFOUND         = "not_found"
	EINVALID          = "invalid"
	ECONFLICT         = "conflict"
	ERATELIMITED      = "rate_limited"
	EUNAVAILABLE      = "unavailable"
	EINTERNAL         = "internal"
)

// ErrNotADigit is wrapped by an ENODIGIT error when the picture has ink but
// the model judged it not to be a digit (a letter, a drawing, a photo), as
// opposed to a blank picture. The bot answers a blank picture but stays
// quiet on a non-digit in a watched channel, as a person would.
var ErrNotADigit = errors.New("not a digit")

// Error is an error whose Code a program can branch on and whose Message is
// safe to show a user. The wrapped error, if any, is for the log only.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted user-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an *Error that keeps err for the log.
func WrapError(code, message string, err error) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err; details of errors that
// are not *Error are hidden behind a generic sentence.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
