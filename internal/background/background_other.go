//go:build !linux

package background

import "errors"

func lower() error { return errors.ErrUnsupported }

func sched() (Sched, bool) { return Sched{}, false }

func yield() {}
