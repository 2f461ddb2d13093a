//! Warnings about a network file that loads but probably says something else than was meant.
//! When a node lists no `ports`, its ports come from its links' ends, so a typo in one end
//! (`n3.esat`) silently makes a new port: the warning names port names of one node that are a
//! letter apart (one letter changed, added, dropped, or two swapped). Also named: node names
//! a letter apart, declared ports nothing uses, nodes without links in a file that has links,
//! and a worker whose file's extension says another language than its `lang`.

use super::{NetworkFile, split_end};

impl NetworkFile {
    /// Likely mistakes, one sentence each, naming the node and the ports; empty if none. The
    /// file still loads: these are not errors.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        // Each node's link-end ports, in link order: one pass over the links (a lookup map,
        // never iterated).
        let index: std::collections::HashMap<&str, usize> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.as_str(), i))
            .collect();
        let mut ends: Vec<Vec<&str>> = vec![Vec::new(); self.nodes.len()];
        for l in &self.links {
            for end in [&l.a, &l.b] {
                if let Some((node, port)) = split_end(end) {
                    if let Some(&i) = index.get(node) {
                        ends[i].push(port);
                    }
                }
            }
        }
        for (n, linked_ports) in self.nodes.iter().zip(&ends) {
            // The node's ports in the order they appear: declared, then from link ends.
            let mut ports: Vec<&str> = n.ports.iter().map(String::as_str).collect();
            for p in linked_ports {
                if !ports.contains(p) {
                    ports.push(p);
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
            for p in &n.ports {
                let sensed = n.sensors.iter().any(|s| s.port.as_deref() == Some(p));
                if !linked_ports.contains(&p.as_str()) && !sensed {
                    out.push(format!(
                        "node `{}`: port `{p}` is declared but no link or sensor uses it",
                        n.name
                    ));
                }
            }
            if !self.links.is_empty() && linked_ports.is_empty() {
                out.push(format!(
                    "node `{}` has no links: it can reach no one",
                    n.name
                ));
            }
            for (w, spec) in n.workers.iter().enumerate() {
                let ext = spec
                    .path
                    .as_deref()
                    .and_then(|p| std::path::Path::new(p).extension())
                    .and_then(|e| e.to_str());
                let says = match ext {
                    Some("lua") => Some(crate::vm::Lang::Lua),
                    Some("js" | "mjs") => Some(crate::vm::Lang::Js),
                    _ => None,
                };
                if says.is_some_and(|l| l != spec.lang) {
                    out.push(format!(
                        "node `{}`: worker {w} runs `{}` as {:?}: the extension says otherwise",
                        n.name,
                        spec.path.as_deref().unwrap_or(""),
                        spec.lang
                    ));
                }
            }
        }
        // Node names a letter apart (all pairs: only for files of a human size).
        if self.nodes.len() <= 2000 {
            for (i, a) in self.nodes.iter().enumerate() {
                for b in &self.nodes[i + 1..] {
                    if one_letter_apart(&a.name, &b.name) {
                        out.push(format!(
                            "nodes `{}` and `{}` are a letter apart: is one a typo?",
                            a.name, b.name
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
    fn unused_ports_lonely_nodes_near_names_and_wrong_languages_are_named() {
        let f = NetworkFile::from_json(
            r#"{"nodes": [{"name": "alpha", "ports": ["p", "spare"],
                           "workers": [{"lang": "lua", "path": "x.js"}]},
                          {"name": "alpah"}, {"name": "lonely"}],
                "links": [{"a": "alpha.p", "b": "alpah.q", "latency": "1ms"}]}"#,
        )
        .unwrap();
        assert_eq!(
            f.warnings(),
            vec![
                "node `alpha`: port `spare` is declared but no link or sensor uses it",
                "node `alpha`: worker 0 runs `x.js` as Lua: the extension says otherwise",
                "node `lonely` has no links: it can reach no one",
                "nodes `alpha` and `alpah` are a letter apart: is one a typo?",
            ]
        );
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
