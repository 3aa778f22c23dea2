//! Helpers the tests share (unit and integration); not part of genmon's API.

/// xorshift64*: a seeded, reproducible sequence, so a failing case repeats
/// from the seed its test prints. The seed must not be 0.
pub struct Rng(pub u64);

impl Rng {
    /// The next number of the sequence.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
