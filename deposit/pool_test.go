package deposit

import (
	"testing"
	"testing/synctest"
)

// TestBufferPoolCap checks that no more than the pool's cap of buffers is
// out at once: a Get past it waits until a buffer is put back.
func TestBufferPoolCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newBufferPool(2, 16)
		a, b := p.Get(), p.Get()
		got := make(chan *[]byte)
		go func() { got <- p.Get() }()
		synctest.Wait()
		select {
		case <-got:
			t.Fatal("a third buffer was handed out past the cap of 2")
		default:
		}
		*a = append(*a, "written"...)
		p.Put(a)
		c := <-got
		if len(*c) != 0 || cap(*c) < 16 {
			t.Errorf("buffer after Put: len %d cap %d, want empty with room for 16", len(*c), cap(*c))
		}
		p.Put(b)
		p.Put(c)
		if n := len(p.slots); n != 0 {
			t.Errorf("%d buffers still counted out after all were put back", n)
		}
	})
}
