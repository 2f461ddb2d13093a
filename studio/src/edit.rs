//! Edits of a network file, as the studio's browsers ask for them: each takes the file and
//! returns what it becomes, or says why not. They know nothing of simulations; the session
//! checks that the result builds before it keeps it.

use vnet_sim::SimDuration;
use vnet_sim::netfile::{LinkSpec, NetworkFile, NodeSpec, split_end};

/// The node named `name`'s index.
pub(crate) fn node_index(file: &NetworkFile, name: &str) -> Result<usize, String> {
    file.nodes
        .iter()
        .position(|n| n.name == name)
        .ok_or_else(|| format!("no node `{name}`"))
}

/// A point of the drawing's unit square in the file's plane: the inverse of
/// [`crate::positions`]' scaling. A file whose nodes are not all placed first gets every node
/// placed where it is drawn, so that drawing and plane agree.
pub(crate) fn to_plane(file: &mut NetworkFile, pos: [f64; 2]) -> [f64; 2] {
    let all_placed = file.nodes.iter().all(|n| n.pos.is_some());
    let (lo, span) = if all_placed {
        crate::bounds(file)
    } else {
        let drawn = crate::positions(file);
        for (n, d) in file.nodes.iter_mut().zip(&drawn) {
            n.pos = Some(*d);
        }
        ([0.0, 0.0], 1.0)
    };
    [lo[0] + pos[0] * span, lo[1] + pos[1] * span]
}

/// Adds a node at `pos` (drawing's unit square), named `name` or the first free `n<k>`, with
/// `copy_of`'s programs and settings (but no ports: it has no links yet).
pub(crate) fn add_node(
    file: &mut NetworkFile,
    name: Option<String>,
    pos: [f64; 2],
    copy_of: Option<&str>,
) -> Result<String, String> {
    let name = match name {
        Some(n) => n,
        None => (0..)
            .map(|k| format!("n{k}"))
            .find(|n| file.nodes.iter().all(|x| &x.name != n))
            .unwrap_or_default(),
    };
    if file.nodes.iter().any(|n| n.name == name) {
        return Err(format!("a node `{name}` exists already"));
    }
    let mut spec = match copy_of {
        Some(other) => file.nodes[node_index(file, other)?].clone(),
        None => NodeSpec {
            name: String::new(),
            program: None,
            params: serde_json::Value::Null,
            ports: Vec::new(),
            pos: None,
            workers: Vec::new(),
            profile: None,
            sensors: Vec::new(),
            external: None,
            platform: false,
            part: None,
        },
    };
    spec.name = name.clone();
    // A copied sensor's port is the only port a new node starts with.
    spec.ports = spec.sensors.iter().filter_map(|s| s.port.clone()).collect();
    spec.ports.dedup();
    spec.pos = Some(to_plane(file, pos));
    file.nodes.push(spec);
    Ok(name)
}

/// Removes node `name` and its links.
pub(crate) fn remove_node(file: &mut NetworkFile, name: &str) -> Result<(), String> {
    let i = node_index(file, name)?;
    file.nodes.remove(i);
    file.links.retain(|l| {
        [&l.a, &l.b]
            .iter()
            .all(|e| split_end(e).is_none_or(|(n, _)| n != name))
    });
    Ok(())
}

/// Replaces node `name` with `spec`; a new name renames its link ends.
pub(crate) fn set_node(file: &mut NetworkFile, name: &str, spec: NodeSpec) -> Result<(), String> {
    let i = node_index(file, name)?;
    if spec.name != name {
        if file.nodes.iter().any(|n| n.name == spec.name) {
            return Err(format!("a node `{}` exists already", spec.name));
        }
        for l in &mut file.links {
            for end in [&mut l.a, &mut l.b] {
                if let Some((n, p)) = split_end(end)
                    && n == name
                {
                    *end = format!("{}.{p}", spec.name);
                }
            }
        }
    }
    file.nodes[i] = spec;
    Ok(())
}

/// Links ends `a` and `b` (a node, or `node.port`), with the first link's parameters.
pub(crate) fn add_link(file: &mut NetworkFile, a: &str, b: &str) -> Result<(), String> {
    let node_of = |e: &str| split_end(e).map_or(e.to_owned(), |(n, _)| n.to_owned());
    let (na, nb) = (node_of(a), node_of(b));
    if na == nb {
        return Err(format!("a link needs two nodes, not `{na}` twice"));
    }
    let linked = file.links.iter().any(|l| {
        let (x, y) = (node_of(&l.a), node_of(&l.b));
        (x == na && y == nb) || (x == nb && y == na)
    });
    if linked && !(a.contains('.') && b.contains('.')) {
        return Err(format!(
            "`{na}` and `{nb}` are linked already (name both ports to add a second link)"
        ));
    }
    let mut ends = Vec::new();
    for (end, me, other) in [(a, &na, &nb), (b, &nb, &na)] {
        let i = node_index(file, me)?;
        let port = match split_end(end) {
            Some((_, p)) => p.to_owned(),
            None => other.clone(),
        };
        let ports = &mut file.nodes[i].ports;
        if !ports.is_empty() && !ports.contains(&port) {
            ports.push(port.clone());
        }
        ends.push(format!("{me}.{port}"));
    }
    let mut link = file.links.first().cloned().unwrap_or(LinkSpec {
        a: String::new(),
        b: String::new(),
        latency: SimDuration::from_millis(1),
        bandwidth: None,
        queue: None,
        loss: 0.0,
        jitter: None,
        serial: None,
        rounding: Default::default(),
        up: true,
    });
    link.up = true;
    link.a = ends[0].clone();
    link.b = ends[1].clone();
    file.links.push(link);
    Ok(())
}

/// The index of the link between ends `a` and `b`, either order.
fn link_index(file: &NetworkFile, a: &str, b: &str) -> Result<usize, String> {
    file.links
        .iter()
        .position(|l| (l.a == a && l.b == b) || (l.a == b && l.b == a))
        .ok_or_else(|| format!("no link between `{a}` and `{b}`"))
}

/// Removes the link between `a` and `b`; a declared port nothing else uses goes with it.
pub(crate) fn remove_link(file: &mut NetworkFile, a: &str, b: &str) -> Result<(), String> {
    let l = file.links.remove(link_index(file, a, b)?);
    for end in [&l.a, &l.b] {
        let Some((node, port)) = split_end(end) else {
            continue;
        };
        let used = file.links.iter().any(|x| &x.a == end || &x.b == end);
        if let Ok(i) = node_index(file, node) {
            let n = &mut file.nodes[i];
            let by_sensor = n.sensors.iter().any(|s| s.port.as_deref() == Some(port));
            if !used && !by_sensor {
                n.ports.retain(|p| p != port);
            }
        }
    }
    Ok(())
}

/// Gives the link with `link`'s ends `link`'s parameters.
pub(crate) fn set_link(file: &mut NetworkFile, link: LinkSpec) -> Result<(), String> {
    let i = link_index(file, &link.a, &link.b)?;
    file.links[i] = link;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring3() -> NetworkFile {
        NetworkFile::from_json(
            r#"{"topology": {"kind": "ring", "n": 3},
                "link_defaults": {"latency": "2ms", "bandwidth": "1Mbps"}}"#,
        )
        .unwrap()
    }

    #[test]
    fn add_node_and_link_name_ports_after_the_other_end() {
        let mut f = ring3();
        let name = add_node(&mut f, None, [0.5, 0.5], None).unwrap();
        assert_eq!(name, "n3");
        add_link(&mut f, "n3", "n0").unwrap();
        let l = f.links.last().unwrap();
        assert_eq!((l.a.as_str(), l.b.as_str()), ("n3.n0", "n0.n3"));
        assert_eq!(
            l.latency,
            SimDuration::from_millis(2),
            "the first link's parameters"
        );
        assert_eq!(l.bandwidth, Some(1_000_000));
        f.check().unwrap();
        assert!(
            add_link(&mut f, "n0", "n3")
                .unwrap_err()
                .contains("linked already")
        );
        assert!(add_link(&mut f, "n0", "n0").is_err());
        assert!(
            add_link(&mut f, "n0", "nx")
                .unwrap_err()
                .contains("no node `nx`")
        );
    }

    #[test]
    fn remove_node_takes_its_links() {
        let mut f = ring3();
        remove_node(&mut f, "n1").unwrap();
        assert_eq!(f.nodes.len(), 2);
        assert_eq!(f.links.len(), 1);
        f.check().unwrap();
        assert!(remove_node(&mut f, "n1").is_err());
    }

    #[test]
    fn remove_and_set_link_by_ends_either_way_round() {
        let mut f = ring3();
        let mut l = f.links[0].clone();
        l.loss = 0.25;
        std::mem::swap(&mut l.a, &mut l.b);
        set_link(&mut f, l.clone()).unwrap();
        assert_eq!(f.links[0].loss, 0.25);
        remove_link(&mut f, &l.a, &l.b).unwrap();
        assert_eq!(f.links.len(), 2);
        assert!(remove_link(&mut f, &l.a, &l.b).is_err());
    }

    #[test]
    fn renaming_a_node_renames_its_link_ends() {
        let mut f = ring3();
        let mut spec = f.nodes[0].clone();
        spec.name = "hub".into();
        set_node(&mut f, "n0", spec).unwrap();
        f.check().unwrap();
        assert!(
            f.links
                .iter()
                .any(|l| l.a.starts_with("hub.") || l.b.starts_with("hub."))
        );
        let dup = f.nodes[1].clone();
        assert!(set_node(&mut f, "hub", dup).unwrap_err().contains("exists"));
    }

    #[test]
    fn a_copied_node_keeps_programs_but_not_ports() {
        let mut f = NetworkFile::from_json(
            r#"{"nodes": [{"name": "a", "ports": ["x"], "profile": "esp32",
                 "workers": [{"lang": "lua", "code": "print(1)"}]}]}"#,
        )
        .unwrap();
        add_node(&mut f, Some("b".into()), [0.0, 0.0], Some("a")).unwrap();
        let b = &f.nodes[1];
        assert_eq!(b.workers, f.nodes[0].workers);
        assert_eq!(b.profile, f.nodes[0].profile);
        assert!(b.ports.is_empty());
    }
}
