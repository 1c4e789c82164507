package digitbottest

import (
	"flag"
	"strconv"
)

// RaiseParallel sets go test's -parallel to n unless the command line set
// it. Call it from TestMain, before m.Run, in a package whose parallel
// tests mostly wait rather than compute: on timers, on the network, and on
// the one second discordgo's Session.Close sleeps for every gateway
// connection it closes. The default, GOMAXPROCS, runs two such tests at a
// time on a 2-core machine and leaves it idle while they wait.
func RaiseParallel(n int) {
	if !flag.Parsed() {
		flag.Parse()
	}
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", strconv.Itoa(n))
	}
}
