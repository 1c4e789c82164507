package onnxplan_test

import (
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	onnx "github.com/owulveryck/onnx-go"
	"github.com/owulveryck/onnx-go/backend/x/gorgonnx"
	"gorgonia.org/tensor"

	"github.com/digitbot/digitbot/models"
)

// engine runs the embedded model on a fixed input; input is written
// before each run.
type engine struct {
	input []float32
	run   func() error
}

func newEngine(b *testing.B, name string) engine {
	b.Helper()
	switch name {
	case "plan":
		_, g := loadPlan(b)
		return engine{input: g.InputData(), run: g.Run}
	case "gorgonnx":
		g := gorgonnx.NewGraph()
		m := onnx.NewModel(g)
		if err := m.UnmarshalBinary(models.ONNX()); err != nil {
			b.Fatal(err)
		}
		data := make([]float32, 784)
		t := tensor.New(tensor.WithShape(1, 1, 28, 28), tensor.WithBacking(data))
		return engine{input: data, run: func() error {
			if err := m.SetInput(0, t); err != nil {
				return err
			}
			if err := g.Run(); err != nil {
				return err
			}
			_, err := m.GetOutputTensors()
			return err
		}}
	}
	b.Fatalf("no engine %q", name)
	return engine{}
}

// cpuTime is the CPU time (user + system) of the process: on a shared
// machine wall-clock time depends on the neighbours, CPU time much less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func fillDigit(in []float32) {
	for i := range in {
		x, y := i%28, i/28
		in[i] = -0.4242
		if (x-14)*(x-14)+(y-14)*(y-14) < 64 && (x-14)*(x-14)+(y-14)*(y-14) > 25 {
			in[i] = 2.82
		}
	}
}

// BenchmarkInfer is one inference on one goroutine, per engine, with the
// median latency as p50-µs.
func BenchmarkInfer(b *testing.B) {
	for _, name := range []string{"gorgonnx", "plan"} {
		b.Run("engine="+name, func(b *testing.B) {
			e := newEngine(b, name)
			fillDigit(e.input)
			lat := make([]time.Duration, 0, 1<<16)
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				t := time.Now()
				if err := e.run(); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t))
			}
			b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/1000/float64(len(lat)), "cpu-µs/op")
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1000, "p50-µs")
		})
	}
}

// BenchmarkInferParallel is the throughput of one engine per goroutine
// (GOMAXPROCS goroutines, as the classifier's pool), in images/s.
func BenchmarkInferParallel(b *testing.B) {
	for _, name := range []string{"gorgonnx", "plan"} {
		b.Run("engine="+name, func(b *testing.B) {
			pool := make(chan engine, runtime.GOMAXPROCS(0))
			for range cap(pool) {
				e := newEngine(b, name)
				fillDigit(e.input)
				pool <- e
			}
			b.SetParallelism(1)
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu := time.Now(), cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				e := <-pool
				defer func() { pool <- e }()
				for pb.Next() {
					if err := e.run(); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/1000/float64(b.N), "cpu-µs/op")
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "images/s")
		})
	}
}
