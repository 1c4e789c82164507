package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/internal/storetest"
)

// crashChildEnv switches the test binary into the writer child of
// TestStore_KillDuringWrites; its value is the database path.
const crashChildEnv = "DIGITBOT_STORE_CRASH_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashChildEnv); path != "" {
		os.Exit(crashChild(path))
	}
	os.Exit(m.Run())
}

// crashChild writes predictions and evaluations from three goroutines and
// prints "ack <prediction id> <true digit>" after each Evaluate returns,
// until it is killed.
func crashChild(path string) int {
	db, err := Open(path, Options{Timeout: 10 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	var out sync.Mutex
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				p := storetest.Pred(testGuilds[(w+i)%3], testUsers[w], i%10, float64(i%100)/100)
				if err := db.SavePrediction(context.Background(), &p); err != nil {
					fmt.Fprintln(os.Stderr, err)
					return
				}
				digit := (i * 7) % 10
				if _, err := db.Evaluate(context.Background(), p.ID, p.UserID, digit); err != nil {
					fmt.Fprintln(os.Stderr, err)
					return
				}
				out.Lock()
				fmt.Printf("ack %s %d\n", p.ID, digit)
				out.Unlock()
			}
		}()
	}
	wg.Wait()
	return 1
}

// TestStore_KillDuringWrites runs a writer child process and SIGKILLs it
// at a random moment, 20 times on the same file. After every kill, every
// evaluation the child acknowledged must be in the file, tx.Check must be
// clean, and each scope's aggregates must equal a recomputation from the
// evaluation records (the aggregates are written in the same transaction).
func TestStore_KillDuringWrites(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "crash.db")
	r := rand.New(rand.NewPCG(42, uint64(time.Now().UnixNano())))
	acked := map[string]int{}
	const rounds = 20
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		select {
		case l := <-lines:
			if l != "ready" {
				t.Fatalf("round %d: child said %q; stderr: %s", round, l, stderr.String())
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("round %d: child not ready; stderr: %s", round, stderr.String())
		}
		// Kill after a random number of acknowledged writes, not after a
		// random time: on a busy machine a time can pass before the child
		// wrote anything. The child keeps writing between acks, so the
		// kill still lands at an arbitrary point of a write.
		killAfter := 1 + r.IntN(8)
		for n := 0; n < killAfter; n++ {
			l, ok := <-lines
			if !ok {
				t.Fatalf("round %d: child exited early; stderr: %s", round, stderr.String())
			}
			recordAck(t, acked, l)
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		for l := range lines { // acks already in the pipe count too
			recordAck(t, acked, l)
		}
		cmd.Wait()

		db, err := Open(path, Options{Timeout: 5 * time.Second})
		if err != nil {
			t.Fatalf("round %d: reopening after SIGKILL: %v", round, err)
		}
		MustCheck(t, db)
		for id, digit := range acked {
			e, err := db.Evaluation(bg, id)
			if err != nil || e.TrueDigit != digit {
				t.Fatalf("round %d: acknowledged evaluation %s lost: %+v %v", round, id, e, err)
			}
		}
		all, err := db.History(bg, digitbot.Scope{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, scope := range storetest.AllScopes() {
			s, _ := db.Stats(bg, scope)
			if d := storetest.DiffStats(s, digitbot.NewStats(scope, storetest.FilterEvals(scope, all))); d != "" {
				t.Fatalf("round %d: Stats(%+v) disagree with the records: %s", round, scope, d)
			}
		}
		db.Close()
	}
	if len(acked) < rounds {
		t.Fatalf("only %d acknowledged evaluations over %d rounds: the child barely wrote", len(acked), rounds)
	}
	t.Logf("%d acknowledged evaluations survived %d SIGKILLs", len(acked), rounds)
}

func recordAck(t *testing.T, acked map[string]int, line string) {
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "ack" {
		t.Fatalf("unexpected child output %q", line)
	}
	d, err := strconv.Atoi(f[2])
	if err != nil {
		t.Fatal(err)
	}
	acked[f[1]] = d
}

// TestStore_Open_LockedByAnotherProcess: while a child process has the
// file open (and is writing), Open here fails within its timeout with the
// clear EUNAVAILABLE error instead of hanging.
func TestStore_Open_LockedByAnotherProcess(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "locked.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() || sc.Text() != "ready" {
		t.Fatalf("child did not start: %q", sc.Text())
	}
	go func() {
		for sc.Scan() { // keep the pipe drained so the child keeps writing
		}
	}()
	start := time.Now()
	db, err := Open(path, Options{Timeout: 300 * time.Millisecond, ReadOnly: true})
	if err == nil {
		db.Close()
		t.Fatal("opened a file another process is writing")
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Fatalf("Open took %v with a 300ms timeout", elapsed)
	}
	wantCode(t, err, digitbot.EUNAVAILABLE)
	if !IsLocked(err) || !strings.Contains(digitbot.ErrorMessage(err), "is in use by another process") {
		t.Fatalf("unclear error: %v", err)
	}
}
