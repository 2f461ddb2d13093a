//! Dhrystone 2.1 (Reinhold P. Weicker, 1988): the Lua and JavaScript ports that run as VM
//! workers (`dhrystone.lua`, `dhrystone.js`), and the native Rust reference.
//!
//! All three follow the C version's procedures, records and control flow, and check every
//! final value the benchmark defines.

use std::hint::black_box;

use vnet_sim::vm::Lang;

/// The Lua port; `RUNS` stands for the number of runs.
pub const DHRYSTONE_LUA: &str = include_str!("dhrystone.lua");
/// The JavaScript port; `RUNS` stands for the number of runs.
pub const DHRYSTONE_JS: &str = include_str!("dhrystone.js");

/// The port for `lang`, set to run `runs` times. It prints
/// `dhrystone ok <runs> <virtual ms>` when every final value checks out.
pub fn dhrystone_source(lang: Lang, runs: u64) -> String {
    let code = match lang {
        Lang::Lua => DHRYSTONE_LUA,
        Lang::Js => DHRYSTONE_JS,
    };
    let code = code.replace("= RUNS", &format!("= {runs}"));
    // LuaJIT speaks Lua 5.1, which has no integer division operator.
    if cfg!(feature = "luajit") && lang == Lang::Lua {
        return code.replace(
            "Int_2_Loc // Int_3_Loc",
            "math.floor(Int_2_Loc / Int_3_Loc)",
        );
    }
    code
}

/// C's `Enumeration`; `Ident5` is part of the type, though the benchmark never makes one.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
#[allow(dead_code)]
enum Enumeration {
    Ident1,
    Ident2,
    Ident3,
    Ident4,
    Ident5,
}
use Enumeration::*;

/// A record; `ptr_comp` indexes the record pool (C's pointer).
#[derive(Clone, Debug)]
struct Record {
    ptr_comp: usize,
    discr: Enumeration,
    enum_comp: Enumeration,
    int_comp: i32,
    str_comp: [u8; 31],
}

const SOME_STRING: &[u8; 31] = b"DHRYSTONE PROGRAM, SOME STRING\0";
const STR_1: &[u8; 31] = b"DHRYSTONE PROGRAM, 1'ST STRING\0";
const STR_2: &[u8; 31] = b"DHRYSTONE PROGRAM, 2'ND STRING\0";
const STR_3: &[u8; 31] = b"DHRYSTONE PROGRAM, 3'RD STRING\0";

struct Globals {
    /// `recs[PTR_GLOB]` and `recs[NEXT_PTR_GLOB]`.
    recs: [Record; 2],
    int_glob: i32,
    bool_glob: bool,
    ch_1_glob: u8,
    ch_2_glob: u8,
    arr_1_glob: [i32; 50],
    arr_2_glob: [[i32; 50]; 50],
}

const PTR_GLOB: usize = 0;
const NEXT_PTR_GLOB: usize = 1;

impl Globals {
    fn proc_1(&mut self, ptr_val_par: usize) {
        let next_record = self.recs[ptr_val_par].ptr_comp;
        self.recs[next_record] = self.recs[PTR_GLOB].clone();
        self.recs[ptr_val_par].int_comp = 5;
        self.recs[next_record].int_comp = self.recs[ptr_val_par].int_comp;
        self.recs[next_record].ptr_comp = self.recs[ptr_val_par].ptr_comp;
        let p = self.proc_3(self.recs[next_record].ptr_comp);
        self.recs[next_record].ptr_comp = p;
        if self.recs[next_record].discr == Ident1 {
            self.recs[next_record].int_comp = 6;
            self.recs[next_record].enum_comp = self.proc_6(self.recs[ptr_val_par].enum_comp);
            self.recs[next_record].ptr_comp = self.recs[PTR_GLOB].ptr_comp;
            self.recs[next_record].int_comp = proc_7(self.recs[next_record].int_comp, 10);
        } else {
            let src = self.recs[ptr_val_par].ptr_comp;
            self.recs[ptr_val_par] = self.recs[src].clone();
        }
    }

    fn proc_2(&self, mut int_par_ref: i32) -> i32 {
        let mut int_loc = int_par_ref + 10;
        let mut enum_loc = Ident2;
        loop {
            if self.ch_1_glob == b'A' {
                int_loc -= 1;
                int_par_ref = int_loc - self.int_glob;
                enum_loc = Ident1;
            }
            if enum_loc == Ident1 {
                return int_par_ref;
            }
        }
    }

    /// C: `if (Ptr_Glob != Null) *Ptr_Ref_Par = Ptr_Glob->Ptr_Comp;` (never null here).
    fn proc_3(&mut self, _ptr_ref_par: usize) -> usize {
        let ptr_ref_par = self.recs[PTR_GLOB].ptr_comp;
        self.recs[PTR_GLOB].int_comp = proc_7(10, self.int_glob);
        ptr_ref_par
    }

    fn proc_4(&mut self) {
        let bool_loc = self.ch_1_glob == b'A';
        self.bool_glob |= bool_loc;
        self.ch_2_glob = b'B';
    }

    fn proc_5(&mut self) {
        self.ch_1_glob = b'A';
        self.bool_glob = false;
    }

    fn proc_6(&self, enum_val_par: Enumeration) -> Enumeration {
        let mut enum_ref_par = enum_val_par;
        if !func_3(enum_val_par) {
            enum_ref_par = Ident4;
        }
        match enum_val_par {
            Ident1 => enum_ref_par = Ident1,
            Ident2 => enum_ref_par = if self.int_glob > 100 { Ident1 } else { Ident4 },
            Ident3 => enum_ref_par = Ident2,
            Ident4 => {}
            Ident5 => enum_ref_par = Ident3,
        }
        enum_ref_par
    }

    fn proc_8(&mut self, int_1_par_val: i32, int_2_par_val: i32) {
        let int_loc = (int_1_par_val + 5) as usize;
        self.arr_1_glob[int_loc] = int_2_par_val;
        self.arr_1_glob[int_loc + 1] = self.arr_1_glob[int_loc];
        self.arr_1_glob[int_loc + 30] = int_loc as i32;
        for int_index in int_loc..=int_loc + 1 {
            self.arr_2_glob[int_loc][int_index] = int_loc as i32;
        }
        self.arr_2_glob[int_loc][int_loc - 1] += 1;
        self.arr_2_glob[int_loc + 20][int_loc] = self.arr_1_glob[int_loc];
        self.int_glob = 5;
    }

    fn func_1(&mut self, ch_1_par_val: u8, ch_2_par_val: u8) -> Enumeration {
        let ch_1_loc = ch_1_par_val;
        let ch_2_loc = ch_1_loc;
        if ch_2_loc != ch_2_par_val {
            Ident1
        } else {
            self.ch_1_glob = ch_1_loc;
            Ident2
        }
    }

    fn func_2(&mut self, str_1_par_ref: &[u8; 31], str_2_par_ref: &[u8; 31]) -> bool {
        let mut int_loc = 2;
        let mut ch_loc = 0u8;
        while int_loc <= 2 {
            if self.func_1(str_1_par_ref[int_loc], str_2_par_ref[int_loc + 1]) == Ident1 {
                ch_loc = b'A';
                int_loc += 1;
            }
        }
        if (b'W'..b'Z').contains(&ch_loc) {
            int_loc = 7;
        }
        if ch_loc == b'R' {
            true
        } else if str_1_par_ref > str_2_par_ref {
            int_loc += 7;
            self.int_glob = int_loc as i32;
            true
        } else {
            false
        }
    }
}

fn proc_7(int_1_par_val: i32, int_2_par_val: i32) -> i32 {
    let int_loc = int_1_par_val + 2;
    int_2_par_val + int_loc
}

fn func_3(enum_par_val: Enumeration) -> bool {
    enum_par_val == Ident3
}

/// Runs native Dhrystone `runs` times and checks the final values; `Err` names the first
/// wrong one.
// The C code's dead store `Int_3_Loc = 5 * Int_1_Loc - Int_2_Loc` is kept.
#[allow(unused_assignments)]
pub fn dhrystone_native(runs: u32) -> Result<(), String> {
    let blank = Record {
        ptr_comp: 0,
        discr: Ident1,
        enum_comp: Ident1,
        int_comp: 0,
        str_comp: [0; 31],
    };
    let mut g = Globals {
        recs: [blank.clone(), blank],
        int_glob: 0,
        bool_glob: false,
        ch_1_glob: 0,
        ch_2_glob: 0,
        arr_1_glob: [0; 50],
        arr_2_glob: [[0; 50]; 50],
    };
    g.recs[PTR_GLOB] = Record {
        ptr_comp: NEXT_PTR_GLOB,
        discr: Ident1,
        enum_comp: Ident3,
        int_comp: 40,
        str_comp: *SOME_STRING,
    };
    let str_1_loc = *STR_1;
    let mut str_2_loc;
    g.arr_2_glob[8][7] = 10;
    let (mut int_1_loc, mut int_2_loc, mut int_3_loc) = (0, 0, 0);
    let mut enum_loc = Ident1;
    for run_index in 1..=black_box(runs) as i32 {
        g.proc_5();
        g.proc_4();
        int_1_loc = 2;
        int_2_loc = 3;
        str_2_loc = *STR_2;
        enum_loc = Ident2;
        g.bool_glob = !g.func_2(&str_1_loc, black_box(&str_2_loc));
        while int_1_loc < int_2_loc {
            int_3_loc = 5 * int_1_loc - int_2_loc;
            int_3_loc = proc_7(int_1_loc, black_box(int_2_loc));
            int_1_loc += 1;
        }
        g.proc_8(int_1_loc, int_3_loc);
        g.proc_1(PTR_GLOB);
        let mut ch_index = b'A';
        while ch_index <= g.ch_2_glob {
            if enum_loc == g.func_1(ch_index, b'C') {
                enum_loc = g.proc_6(Ident1);
                str_2_loc = *STR_3;
                int_2_loc = run_index;
                g.int_glob = run_index;
            }
            ch_index += 1;
        }
        int_2_loc *= int_1_loc;
        int_1_loc = int_2_loc / black_box(int_3_loc);
        int_2_loc = 7 * (int_2_loc - int_3_loc) - int_1_loc;
        int_1_loc = g.proc_2(int_1_loc);
        black_box(&str_2_loc);
        black_box(&mut g);
    }
    let checks: [(&str, i64, i64); 16] = [
        ("Int_Glob", g.int_glob.into(), 5),
        ("Bool_Glob", g.bool_glob.into(), 1),
        ("Ch_1_Glob", g.ch_1_glob.into(), b'A'.into()),
        ("Ch_2_Glob", g.ch_2_glob.into(), b'B'.into()),
        ("Arr_1_Glob[8]", g.arr_1_glob[8].into(), 7),
        (
            "Arr_2_Glob[8][7]",
            g.arr_2_glob[8][7].into(),
            i64::from(runs) + 10,
        ),
        ("Ptr_Glob->Discr", g.recs[PTR_GLOB].discr as i64, 0),
        ("Ptr_Glob->Enum_Comp", g.recs[PTR_GLOB].enum_comp as i64, 2),
        ("Ptr_Glob->Int_Comp", g.recs[PTR_GLOB].int_comp.into(), 17),
        (
            "Next_Ptr_Glob->Discr",
            g.recs[NEXT_PTR_GLOB].discr as i64,
            0,
        ),
        (
            "Next_Ptr_Glob->Enum_Comp",
            g.recs[NEXT_PTR_GLOB].enum_comp as i64,
            1,
        ),
        (
            "Next_Ptr_Glob->Int_Comp",
            g.recs[NEXT_PTR_GLOB].int_comp.into(),
            18,
        ),
        ("Int_1_Loc", int_1_loc.into(), 5),
        ("Int_2_Loc", int_2_loc.into(), 13),
        ("Int_3_Loc", int_3_loc.into(), 7),
        ("Enum_Loc", enum_loc as i64, 1),
    ];
    for (what, got, want) in checks {
        if got != want {
            return Err(format!("dhrystone: {what} is {got}, should be {want}"));
        }
    }
    let ptrs = [g.recs[PTR_GLOB].ptr_comp, g.recs[NEXT_PTR_GLOB].ptr_comp];
    if ptrs != [NEXT_PTR_GLOB; 2] || g.recs[NEXT_PTR_GLOB].str_comp != *SOME_STRING {
        return Err("dhrystone: the records' pointers or strings are wrong".into());
    }
    Ok(())
}
