//! A small cache that keeps the most recently used entries: [`Recent`] holds at most its
//! capacity, and a new entry pushes out the one used longest ago (least recently used). Looked
//! up by a linear scan, which for a few dozen entries costs less than hashing their keys.

use std::collections::VecDeque;

/// At most `capacity` entries, the most recently used last.
#[derive(Debug)]
pub struct Recent<K, V> {
    capacity: usize,
    entries: VecDeque<(K, V)>,
}

impl<K: PartialEq, V: Clone> Recent<K, V> {
    /// An empty cache of at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        Recent {
            capacity: capacity.max(1),
            entries: VecDeque::new(),
        }
    }

    /// The value of `key`, which becomes the most recently used; `None` when it is not kept.
    pub fn get(&mut self, key: &K) -> Option<V> {
        let at = self.entries.iter().position(|(k, _)| k == key)?;
        let entry = self.entries.remove(at)?;
        let value = entry.1.clone();
        self.entries.push_back(entry);
        Some(value)
    }

    /// Keeps `value` for `key` as the most recently used, pushing out the least recently used
    /// entry when the cache is full.
    pub fn insert(&mut self, key: K, value: V) {
        if let Some(at) = self.entries.iter().position(|(k, _)| *k == key) {
            self.entries.remove(at);
        }
        if self.entries.len() >= self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back((key, value));
    }

    /// How many entries it keeps.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_used_entry_stays_and_the_least_recently_used_goes() {
        let mut cache = Recent::new(3);
        for key in 1..=3 {
            cache.insert(key, key * 10);
        }
        assert_eq!(cache.get(&1), Some(10), "1 is now the most recent");
        cache.insert(4, 40);
        assert_eq!(cache.get(&2), None, "2 was used longest ago");
        assert_eq!(cache.get(&1), Some(10));
        assert_eq!(cache.get(&3), Some(30));
        assert_eq!(cache.get(&4), Some(40));
        assert_eq!(cache.len(), 3);
    }

    #[test]
    fn cycling_through_as_many_keys_as_it_holds_always_hits() {
        let mut cache = Recent::new(32);
        let mut misses = 0;
        for _round in 0..5 {
            for key in 0..32 {
                if cache.get(&key).is_none() {
                    misses += 1;
                    cache.insert(key, ());
                }
            }
        }
        assert_eq!(misses, 32, "one miss per key, the first time");
    }

    #[test]
    fn inserting_a_kept_key_replaces_it_and_capacity_is_at_least_one() {
        let mut cache = Recent::new(0);
        cache.insert("a", 1);
        cache.insert("a", 2);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.get(&"a"), Some(2));
        cache.insert("b", 3);
        assert_eq!(cache.get(&"a"), None);
        assert_eq!(cache.get(&"b"), Some(3));
    }
}
