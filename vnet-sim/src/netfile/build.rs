//! Building a [`Simulation`] from a checked [`NetworkFile`]: nodes, ports, links, sensors,
//! programs, VM workers under their hosts, agent platforms, and the file's faults.

use super::*;

impl NetworkFile {
    /// Builds the network: nodes, ports (declared ones first, in order), links, a worker for
    /// every node with a program, and its VM workers. `seed` overrides the file's seed
    /// (default 0). Worker `path`s are read relative to the current directory. An `external`
    /// node is built bare: `vnet_hw::external` connects it to its P-node.
    pub fn instantiate(
        &self,
        registry: &ProgramRegistry,
        seed: Option<u64>,
    ) -> Result<Simulation, NetFileError> {
        self.instantiate_at(registry, seed, Path::new("."), &VmConfig::default())
    }

    /// [`instantiate`](Self::instantiate), reading worker `path`s relative to `base` (the
    /// network file's folder) and running VM workers under the `vm` limits.
    pub fn instantiate_at(
        &self,
        registry: &ProgramRegistry,
        seed: Option<u64>,
        base: &Path,
        vm: &VmConfig,
    ) -> Result<Simulation, NetFileError> {
        self.instantiate_with(registry, seed, base, vm, &Default::default())
    }

    /// [`instantiate_at`](Self::instantiate_at), taking the text of a worker `path` from
    /// `texts` where it is there (an editor's unsaved version) rather than from the disk.
    pub fn instantiate_with(
        &self,
        registry: &ProgramRegistry,
        seed: Option<u64>,
        base: &Path,
        vm: &VmConfig,
        texts: &std::collections::BTreeMap<String, String>,
    ) -> Result<Simulation, NetFileError> {
        self.build(registry, seed, base, vm, texts, &|_| true)
    }

    /// [`instantiate_at`](Self::instantiate_at) for one part of a parallel run
    /// ([`crate::parallel`]): the whole network (sensors too) and every fault, but programs,
    /// workers and placed agents only on the nodes `owned` accepts (by node index). Other
    /// parts build the rest; every part marks every agent platform, so that agents may move
    /// to one.
    pub fn instantiate_part(
        &self,
        registry: &ProgramRegistry,
        seed: Option<u64>,
        base: &Path,
        vm: &VmConfig,
        owned: &dyn Fn(usize) -> bool,
    ) -> Result<Simulation, NetFileError> {
        self.build(registry, seed, base, vm, &Default::default(), owned)
    }

    fn build(
        &self,
        registry: &ProgramRegistry,
        seed: Option<u64>,
        base: &Path,
        vm: &VmConfig,
        texts: &std::collections::BTreeMap<String, String>,
        owned: &dyn Fn(usize) -> bool,
    ) -> Result<Simulation, NetFileError> {
        self.check()?;
        let mut sim = Simulation::new(seed.or(self.seed).unwrap_or(0));
        sim.reserve_nodes(self.nodes.len());
        let net_err = |e: crate::net::NetError| NetFileError::top(e.to_string());
        for n in &self.nodes {
            let id = sim.add_node(&n.name).map_err(net_err)?;
            for p in &n.ports {
                sim.add_port(id, p).map_err(net_err)?;
            }
            if let Some(pos) = n.pos {
                sim.set_position(id, pos).map_err(net_err)?;
            }
        }
        for (i, l) in self.links.iter().enumerate() {
            let label = format!("{} -- {}", l.a, l.b);
            let mut ends = Vec::with_capacity(2);
            for end in [&l.a, &l.b] {
                // `check` has vetted both ends; these errors cannot occur after it.
                let (node, port) = split_end(end).ok_or_else(|| {
                    NetFileError::link(i, Some(&label), format!("bad end \"{end}\""))
                })?;
                let id = sim.network().node_by_name(node).ok_or_else(|| {
                    NetFileError::link(i, Some(&label), format!("unknown node `{node}`"))
                })?;
                ends.push((id, port));
            }
            let [(a, pa), (b, pb)] = [ends[0], ends[1]];
            let id = sim
                .link(a, pa, b, pb, l.params())
                .map_err(|e| NetFileError::link(i, Some(&label), e.to_string()))?;
            if !l.up {
                sim.set_link_up(id, false);
            }
        }
        // Sensors on every node, owned or not: they add ports, and every part's network must
        // be the same (another part's sensors never run here).
        for (i, n) in self.nodes.iter().enumerate() {
            attach_sensors(&mut sim, crate::net::NodeId(i as u32), n, base)
                .map_err(|m| NetFileError::node(i, Some(&n.name), m))?;
        }
        let vm = std::rc::Rc::new(vm.clone());
        let mut sources = texts.clone();
        for (i, n) in self.nodes.iter().enumerate() {
            let node = crate::net::NodeId(i as u32);
            if n.external.is_some() {
                // Its workers run on the P-node; `vnet_hw::external` adds the twin's relay.
                continue;
            }
            if !owned(i) {
                if n.platform {
                    sim.host_agents(node);
                }
                continue;
            }
            if let Some(name) = &n.program {
                let program = registry
                    .make(name, &n.params)
                    .map_err(|m| NetFileError::node(i, Some(&n.name), m))?;
                sim.add_restartable(node, program, registry.factory(name, &n.params));
            }
            let config = self.node_config(i, &vm)?;
            if let Some(p) = config.profile.as_ref() {
                sim.set_boot_time(node, p.t_boot);
            }
            for (w, spec) in n.workers.iter().enumerate() {
                let code = match (&spec.code, &spec.path) {
                    (Some(code), _) => code.clone(),
                    (None, Some(p)) => match sources.get(p) {
                        // Thousands of nodes often run one file: read it once.
                        Some(code) => code.clone(),
                        None => {
                            let code = std::fs::read_to_string(base.join(p)).map_err(|e| {
                                NetFileError::node(
                                    i,
                                    Some(&n.name),
                                    format!("worker {w}: reading `{p}`: {e}"),
                                )
                            })?;
                            sources.insert(p.clone(), code.clone());
                            code
                        }
                    },
                    (None, None) => {
                        return Err(NetFileError::node(
                            i,
                            Some(&n.name),
                            format!("worker {w}: no code"),
                        ));
                    }
                };
                // A restart makes the worker again from the same code.
                let code: std::rc::Rc<str> = code.into();
                let (n, spec, config) = (n.clone(), spec.clone(), config.clone());
                sim.add_worker_with(node, move || {
                    Box::new(n.worker_program(&spec, code.to_string(), config.clone()))
                });
            }
            self.add_platform(&mut sim, i, &config, base, &mut sources)?;
        }
        self.resolve_faults()
            .map_err(NetFileError::top)?
            .apply(&mut sim);
        Ok(sim)
    }

    /// The limits node `i`'s VM workers run under: `vm` with the node's host profile.
    pub fn node_config(
        &self,
        i: usize,
        vm: &std::rc::Rc<VmConfig>,
    ) -> Result<std::rc::Rc<VmConfig>, NetFileError> {
        let n = self
            .nodes
            .get(i)
            .ok_or_else(|| NetFileError::top(format!("no node {i}")))?;
        Ok(match &n.profile {
            None => vm.clone(),
            Some(p) => {
                let profile = p
                    .resolve()
                    .map_err(|m| NetFileError::node(i, Some(&n.name), m.to_string()))?;
                std::rc::Rc::new(VmConfig {
                    profile: Some(profile),
                    ..(**vm).clone()
                })
            }
        })
    }
}
