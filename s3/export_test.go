package s3

// PartBuffersPeak returns the most part buffers the writers of s held at
// once.
func PartBuffersPeak(s *Store) int64 { return s.bufs.peak.Load() }

// PartBuffersInUse returns how many part buffers are lent now.
func PartBuffersInUse(s *Store) int64 { return s.bufs.inUse.Load() }

// Spooled returns how many parts of s went to a spool file.
func Spooled(s *Store) int64 { return s.bufs.spools.Load() }
