package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
)

// timingRounds is how many requests of each kind a timing test sends, as
// the hardening issue asks.
const timingRounds = 2000

// timed is one kind of request a timing test sends, and its durations.
type timed struct {
	name string
	do   func() error
	took []time.Duration
}

// measure sends rounds requests of each kind, interleaved in a new random
// order every round by workers at once, and records how long each took.
func measure(t *testing.T, workers, rounds int, kinds ...*timed) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan int)
	errc := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range next {
				order := rand.New(rand.NewPCG(uint64(round), 7)).Perm(len(kinds))
				for _, i := range order {
					k := kinds[i]
					start := time.Now()
					if err := k.do(); err != nil {
						select {
						case errc <- fmt.Errorf("%s: %w", k.name, err):
						default:
						}
						continue
					}
					d := time.Since(start)
					mu.Lock()
					k.took = append(k.took, d)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range rounds {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errc:
		t.Fatal(err)
	default:
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// sameTiming fails the test if a and b's median times differ by more than
// the noise measured between same and a, two sets of identical requests:
// the largest difference of medians between two halves of a ∪ same drawn
// at random, 200 times. Chance alone exceeds that largest difference once
// in 200 runs; half as much again, far more rarely, so the test does not
// fail on a busy machine for nothing.
func sameTiming(t *testing.T, a, b, same *timed) {
	t.Helper()
	pool := append(slices.Clone(a.took), same.took...)
	r := rand.New(rand.NewPCG(1, 2))
	var noise time.Duration
	for range 200 {
		r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
		h := len(pool) / 2
		noise = max(noise, (median(pool[:h]) - median(pool[h:])).Abs())
	}
	diff := (median(a.took) - median(b.took)).Abs()
	t.Logf("%s: median %v; %s: median %v; %s: median %v; difference %v, noise between identical sets %v",
		a.name, median(a.took), b.name, median(b.took), same.name, median(same.took), diff, noise)
	if diff > noise*3/2 {
		t.Errorf("%s take %v, %s %v: the difference (%v) exceeds 1.5 × the noise between identical sets (%v), so timing tells them apart",
			a.name, median(a.took), b.name, median(b.took), diff, noise)
	}
}

// post sends v as JSON and checks the status of the answer.
func post(client *http.Client, url string, v any, want int) error {
	b, _ := json.Marshal(v)
	resp, err := client.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("got %d, want %d", resp.StatusCode, want)
	}
	return nil
}

// Whether someone has an account, or a deposit exists, cannot be told from
// how long navette takes to refuse.
func TestTimingTellsNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 24,000 requests")
	}
	e := newEnv(t, func(c *app.Config) {
		// Padding of 25 ms instead of 250 so that 12,000 sign-in
		// requests take half a minute, yet more than their work takes on
		// a loaded machine (3 ms); 75 ms under the race detector, whose
		// work took up to 42 ms there. The noise a difference is judged
		// against did not grow with less padding (50 µs to 1.3 ms, by
		// the machine's load, at 25 ms as at 75 ms), and a leak of 500 µs
		// after the padding failed the test every time at both; more
		// workers would have made it noisier. The limits would refuse
		// them all.
		c.Auth.AnswerTime = 25 * time.Millisecond
		if raceEnabled {
			c.Auth.AnswerTime = 75 * time.Millisecond
		}
		c.Auth.PerIPPerHour = 1 << 20
	})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	t.Cleanup(client.CloseIdleConnections)
	nobody := "personne@avocat.example"

	t.Run("code requests", func(t *testing.T) {
		ask := func(email string) func() error {
			return func() error {
				return post(client, e.url+api.PathAuthCode, api.SignInCodeRequest{Email: email}, http.StatusAccepted)
			}
		}
		known := &timed{name: "a partner's address", do: ask(lawyerEmail)}
		unknown := &timed{name: "an unknown address", do: ask(nobody)}
		again := &timed{name: "another partner's address", do: ask(strangerEmail)}
		measure(t, 12, timingRounds, known, unknown, again)
		sameTiming(t, known, unknown, again)
	})

	t.Run("code checks", func(t *testing.T) {
		check := func(email string) func() error {
			return func() error {
				return post(client, e.url+api.PathAuthCodeVerify, api.SignInCodeVerify{Email: email, Code: "1234 5678"}, http.StatusUnauthorized)
			}
		}
		known := &timed{name: "a partner's address", do: check(lawyerEmail)}
		unknown := &timed{name: "an unknown address", do: check(nobody)}
		again := &timed{name: "another partner's address", do: check(strangerEmail)}
		measure(t, 12, timingRounds, known, unknown, again)
		sameTiming(t, known, unknown, again)
	})

	t.Run("deposits of others", func(t *testing.T) {
		d := e.send(map[string][]byte{"a.txt": []byte("secret")})
		other := e.send(map[string][]byte{"b.txt": []byte("secret")})
		get := func(id string) func() error { return strangerMiss(e, client, api.PathDeposits+"/"+id) }
		known := &timed{name: "another person's deposit", do: get(d.ID)}
		unknown := &timed{name: "an id never issued", do: get(navette.NewID())}
		again := &timed{name: "a second deposit of another person", do: get(other.ID)}
		measure(t, 1, timingRounds, known, unknown, again)
		sameTiming(t, known, unknown, again)
	})

	t.Run("cases of others", func(t *testing.T) {
		d := e.send(map[string][]byte{"a.txt": []byte("secret")})
		var o api.Deposit
		e.doJSON("POST", api.PathDeposits, e.agent, api.CreateDeposit{Recipients: []string{lawyerEmail}, Reference: "RG 26/07777", RetentionDays: 7}, http.StatusCreated, &o)
		e.upload(e.agent, o.ID, "b.txt", []byte("secret"))
		o = e.submit(e.agent, o.ID)
		if d.CaseID == "" || o.CaseID == "" || d.CaseID == o.CaseID {
			t.Fatalf("case ids %q and %q: want two cases", d.CaseID, o.CaseID)
		}
		get := func(id string) func() error { return strangerMiss(e, client, api.PathCases+"/"+id) }
		known := &timed{name: "another person's case", do: get(d.CaseID)}
		unknown := &timed{name: "a case id never issued", do: get(navette.NewID())}
		again := &timed{name: "a second case of another person", do: get(o.CaseID)}
		measure(t, 1, timingRounds, known, unknown, again)
		sameTiming(t, known, unknown, again)
	})
}

// strangerMiss returns a request of path by the stranger that must answer
// 404.
func strangerMiss(e *env, client *http.Client, path string) func() error {
	return func() error {
		req, _ := http.NewRequest("GET", e.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+e.stranger)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			return fmt.Errorf("got %d, want 404", resp.StatusCode)
		}
		return nil
	}
}
