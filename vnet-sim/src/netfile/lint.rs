//! Warnings about a network file that loads but probably says something else than was meant.
//! When a node lists no `ports`, its ports come from its links' ends, so a typo in one end
//! (`n3.esat`) silently makes a new port: the warning names port names of one node that are a
//! letter apart (one letter changed, added, dropped, or two swapped).

use super::{NetworkFile, split_end};

impl NetworkFile {
    /// Likely mistakes, one sentence each, naming the node and the ports; empty if none. The
    /// file still loads: these are not errors.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for n in &self.nodes {
            // The node's ports in the order they appear: declared, then from link ends.
            let mut ports: Vec<&str> = n.ports.iter().map(String::as_str).collect();
            for l in &self.links {
                for end in [&l.a, &l.b] {
                    if let Some((node, port)) = split_end(end) {
                        if node == n.name && !ports.contains(&port) {
                            ports.push(port);
                        }
                    }
                }
            }
            for (i, a) in ports.iter().enumerate() {
                for b in &ports[i + 1..] {
                    if one_letter_apart(a, b) {
                        out.push(format!(
                            "node `{}`: ports `{a}` and `{b}` are a letter apart: a typo in a \
                             link end makes a new port",
                            n.name
                        ));
                    }
                }
            }
        }
        out
    }
}

/// Whether `a` and `b` differ by one edit: a letter changed, added or dropped, or two
/// neighbouring letters swapped. Short names (`n`, `s`, `e`, `w`) and names that differ in a
/// digit (`p0`, `p1`) are named so on purpose and never count.
fn one_letter_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a == b || a.len().min(b.len()) < 3 {
        return false;
    }
    let digits = |x: &[char], y: &[char]| {
        x.iter()
            .filter(|c| c.is_ascii_digit())
            .ne(y.iter().filter(|c| c.is_ascii_digit()))
    };
    if digits(&a, &b) {
        return false;
    }
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    match long.len() - short.len() {
        0 => {
            let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
            match diff[..] {
                [_] => true,
                [i, j] => j == i + 1 && a[i] == b[j] && a[j] == b[i],
                _ => false,
            }
        }
        1 => {
            // Dropping one letter of the longer gives the shorter.
            let first = (0..short.len())
                .find(|&i| short[i] != long[i])
                .unwrap_or(short.len());
            short[first..] == long[first + 1..]
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_apart() {
        assert!(one_letter_apart("east", "eats"));
        assert!(one_letter_apart("east", "eest"));
        assert!(one_letter_apart("east", "eastt"));
        assert!(one_letter_apart("east", "eat"));
        assert!(!one_letter_apart("east", "west2"));
        assert!(!one_letter_apart("p0", "p0"));
        // Named so on purpose: numbered, or a letter long.
        assert!(!one_letter_apart("p0", "p1"));
        assert!(!one_letter_apart("port10", "port11"));
        assert!(!one_letter_apart("n", "s"));
    }

    #[test]
    fn a_typo_in_a_link_end_is_named() {
        let f = NetworkFile::from_json(
            r#"{"nodes": [{"name": "a"}, {"name": "b"}],
                "links": [{"a": "a.east", "b": "b.west", "latency": "1ms"},
                          {"a": "a.esat", "b": "b.north", "latency": "1ms"}]}"#,
        )
        .unwrap();
        assert_eq!(
            f.warnings(),
            vec![
                "node `a`: ports `east` and `esat` are a letter apart: a typo in a link end \
                 makes a new port"
            ]
        );
    }
}
