// Dhrystone 2.1 (Reinhold P. Weicker, 1988), ported to JavaScript for vnet.
//
// Faithful to the C version's procedures, records and control flow: records are objects with
// the C field names, arrays keep C's indices, strcpy is an assignment and structassign copies
// every field; reference parameters become return values. RUNS is replaced by the number of
// runs before loading. At the end the program checks every final value the benchmark defines
// and prints `dhrystone ok <runs> <elapsed ms of virtual time>`, or throws naming the first
// wrong value.

const Ident_1 = 0, Ident_2 = 1, Ident_3 = 2, Ident_4 = 3, Ident_5 = 4;

let Ptr_Glob, Next_Ptr_Glob;
let Int_Glob = 0;
let Bool_Glob = false;
let Ch_1_Glob = "\0", Ch_2_Glob = "\0";
const Arr_1_Glob = new Array(50).fill(0);
const Arr_2_Glob = [];
for (let i = 0; i < 50; i++) Arr_2_Glob.push(new Array(50).fill(0));

function newRecord() {
  return { Ptr_Comp: null, Discr: Ident_1, Enum_Comp: Ident_1, Int_Comp: 0, Str_Comp: "" };
}

function structassign(dst, src) {
  dst.Ptr_Comp = src.Ptr_Comp;
  dst.Discr = src.Discr;
  dst.Enum_Comp = src.Enum_Comp;
  dst.Int_Comp = src.Int_Comp;
  dst.Str_Comp = src.Str_Comp;
}

function Func_1(Ch_1_Par_Val, Ch_2_Par_Val) {
  const Ch_1_Loc = Ch_1_Par_Val;
  const Ch_2_Loc = Ch_1_Loc;
  if (Ch_2_Loc !== Ch_2_Par_Val) {
    return Ident_1;
  } else {
    Ch_1_Glob = Ch_1_Loc;
    return Ident_2;
  }
}

function Func_2(Str_1_Par_Ref, Str_2_Par_Ref) {
  let Int_Loc = 2;
  let Ch_Loc;
  while (Int_Loc <= 2) {
    if (Func_1(Str_1_Par_Ref[Int_Loc], Str_2_Par_Ref[Int_Loc + 1]) === Ident_1) {
      Ch_Loc = "A";
      Int_Loc += 1;
    }
  }
  if (Ch_Loc >= "W" && Ch_Loc < "Z") Int_Loc = 7;
  if (Ch_Loc === "R") {
    return true;
  } else {
    if (Str_1_Par_Ref > Str_2_Par_Ref) {
      Int_Loc += 7;
      Int_Glob = Int_Loc;
      return true;
    } else {
      return false;
    }
  }
}

function Func_3(Enum_Par_Val) {
  const Enum_Loc = Enum_Par_Val;
  if (Enum_Loc === Ident_3) return true;
  else return false;
}

function Proc_7(Int_1_Par_Val, Int_2_Par_Val) {
  const Int_Loc = Int_1_Par_Val + 2;
  return Int_2_Par_Val + Int_Loc;
}

function Proc_6(Enum_Val_Par) {
  let Enum_Ref_Par = Enum_Val_Par;
  if (!Func_3(Enum_Val_Par)) Enum_Ref_Par = Ident_4;
  switch (Enum_Val_Par) {
    case Ident_1: Enum_Ref_Par = Ident_1; break;
    case Ident_2: if (Int_Glob > 100) Enum_Ref_Par = Ident_1; else Enum_Ref_Par = Ident_4; break;
    case Ident_3: Enum_Ref_Par = Ident_2; break;
    case Ident_4: break;
    case Ident_5: Enum_Ref_Par = Ident_3; break;
  }
  return Enum_Ref_Par;
}

function Proc_3(Ptr_Ref_Par) {
  if (Ptr_Glob !== null) Ptr_Ref_Par = Ptr_Glob.Ptr_Comp;
  Ptr_Glob.Int_Comp = Proc_7(10, Int_Glob);
  return Ptr_Ref_Par;
}

function Proc_1(Ptr_Val_Par) {
  const Next_Record = Ptr_Val_Par.Ptr_Comp;
  structassign(Ptr_Val_Par.Ptr_Comp, Ptr_Glob);
  Ptr_Val_Par.Int_Comp = 5;
  Next_Record.Int_Comp = Ptr_Val_Par.Int_Comp;
  Next_Record.Ptr_Comp = Ptr_Val_Par.Ptr_Comp;
  Next_Record.Ptr_Comp = Proc_3(Next_Record.Ptr_Comp);
  if (Next_Record.Discr === Ident_1) {
    Next_Record.Int_Comp = 6;
    Next_Record.Enum_Comp = Proc_6(Ptr_Val_Par.Enum_Comp);
    Next_Record.Ptr_Comp = Ptr_Glob.Ptr_Comp;
    Next_Record.Int_Comp = Proc_7(Next_Record.Int_Comp, 10);
  } else {
    structassign(Ptr_Val_Par, Ptr_Val_Par.Ptr_Comp);
  }
}

function Proc_2(Int_Par_Ref) {
  let Int_Loc = Int_Par_Ref + 10;
  let Enum_Loc;
  do {
    if (Ch_1_Glob === "A") {
      Int_Loc -= 1;
      Int_Par_Ref = Int_Loc - Int_Glob;
      Enum_Loc = Ident_1;
    }
  } while (Enum_Loc !== Ident_1);
  return Int_Par_Ref;
}

function Proc_4() {
  const Bool_Loc = Ch_1_Glob === "A";
  Bool_Glob = Bool_Loc || Bool_Glob;
  Ch_2_Glob = "B";
}

function Proc_5() {
  Ch_1_Glob = "A";
  Bool_Glob = false;
}

function Proc_8(Arr_1_Par_Ref, Arr_2_Par_Ref, Int_1_Par_Val, Int_2_Par_Val) {
  const Int_Loc = Int_1_Par_Val + 5;
  Arr_1_Par_Ref[Int_Loc] = Int_2_Par_Val;
  Arr_1_Par_Ref[Int_Loc + 1] = Arr_1_Par_Ref[Int_Loc];
  Arr_1_Par_Ref[Int_Loc + 30] = Int_Loc;
  for (let Int_Index = Int_Loc; Int_Index <= Int_Loc + 1; ++Int_Index) {
    Arr_2_Par_Ref[Int_Loc][Int_Index] = Int_Loc;
  }
  Arr_2_Par_Ref[Int_Loc][Int_Loc - 1] += 1;
  Arr_2_Par_Ref[Int_Loc + 20][Int_Loc] = Arr_1_Par_Ref[Int_Loc];
  Int_Glob = 5;
}

const Number_Of_Runs = RUNS;

Next_Ptr_Glob = newRecord();
Ptr_Glob = newRecord();
Ptr_Glob.Ptr_Comp = Next_Ptr_Glob;
Ptr_Glob.Discr = Ident_1;
Ptr_Glob.Enum_Comp = Ident_3;
Ptr_Glob.Int_Comp = 40;
Ptr_Glob.Str_Comp = "DHRYSTONE PROGRAM, SOME STRING";
const Str_1_Loc = "DHRYSTONE PROGRAM, 1'ST STRING";
let Str_2_Loc;
Arr_2_Glob[8][7] = 10;

let Int_1_Loc, Int_2_Loc, Int_3_Loc, Enum_Loc;
const start = now();
for (let Run_Index = 1; Run_Index <= Number_Of_Runs; ++Run_Index) {
  Proc_5();
  Proc_4();
  Int_1_Loc = 2;
  Int_2_Loc = 3;
  Str_2_Loc = "DHRYSTONE PROGRAM, 2'ND STRING";
  Enum_Loc = Ident_2;
  Bool_Glob = !Func_2(Str_1_Loc, Str_2_Loc);
  while (Int_1_Loc < Int_2_Loc) {
    Int_3_Loc = 5 * Int_1_Loc - Int_2_Loc;
    Int_3_Loc = Proc_7(Int_1_Loc, Int_2_Loc);
    Int_1_Loc += 1;
  }
  Proc_8(Arr_1_Glob, Arr_2_Glob, Int_1_Loc, Int_3_Loc);
  Proc_1(Ptr_Glob);
  for (let Ch_Index = 65; Ch_Index <= Ch_2_Glob.charCodeAt(0); ++Ch_Index) {
    if (Enum_Loc === Func_1(String.fromCharCode(Ch_Index), "C")) {
      Enum_Loc = Proc_6(Ident_1);
      Str_2_Loc = "DHRYSTONE PROGRAM, 3'RD STRING";
      Int_2_Loc = Run_Index;
      Int_Glob = Run_Index;
    }
  }
  Int_2_Loc = Int_2_Loc * Int_1_Loc;
  Int_1_Loc = Math.trunc(Int_2_Loc / Int_3_Loc);
  Int_2_Loc = 7 * (Int_2_Loc - Int_3_Loc) - Int_1_Loc;
  Int_1_Loc = Proc_2(Int_1_Loc);
}
const elapsed = now() - start;

function expect(what, got, want) {
  if (got !== want) throw new Error(`dhrystone: ${what} is ${got}, should be ${want}`);
}
expect("Int_Glob", Int_Glob, 5);
expect("Bool_Glob", Bool_Glob, true);
expect("Ch_1_Glob", Ch_1_Glob, "A");
expect("Ch_2_Glob", Ch_2_Glob, "B");
expect("Arr_1_Glob[8]", Arr_1_Glob[8], 7);
expect("Arr_2_Glob[8][7]", Arr_2_Glob[8][7], Number_Of_Runs + 10);
expect("Ptr_Glob.Ptr_Comp", Ptr_Glob.Ptr_Comp, Next_Ptr_Glob);
expect("Ptr_Glob.Discr", Ptr_Glob.Discr, 0);
expect("Ptr_Glob.Enum_Comp", Ptr_Glob.Enum_Comp, 2);
expect("Ptr_Glob.Int_Comp", Ptr_Glob.Int_Comp, 17);
expect("Ptr_Glob.Str_Comp", Ptr_Glob.Str_Comp, "DHRYSTONE PROGRAM, SOME STRING");
expect("Next_Ptr_Glob.Ptr_Comp", Next_Ptr_Glob.Ptr_Comp, Next_Ptr_Glob);
expect("Next_Ptr_Glob.Discr", Next_Ptr_Glob.Discr, 0);
expect("Next_Ptr_Glob.Enum_Comp", Next_Ptr_Glob.Enum_Comp, 1);
expect("Next_Ptr_Glob.Int_Comp", Next_Ptr_Glob.Int_Comp, 18);
expect("Next_Ptr_Glob.Str_Comp", Next_Ptr_Glob.Str_Comp, "DHRYSTONE PROGRAM, SOME STRING");
expect("Int_1_Loc", Int_1_Loc, 5);
expect("Int_2_Loc", Int_2_Loc, 13);
expect("Int_3_Loc", Int_3_Loc, 7);
expect("Enum_Loc", Enum_Loc, 1);
expect("Str_1_Loc", Str_1_Loc, "DHRYSTONE PROGRAM, 1'ST STRING");
expect("Str_2_Loc", Str_2_Loc, "DHRYSTONE PROGRAM, 2'ND STRING");
print(`dhrystone ok ${Number_Of_Runs} ${elapsed.toFixed(6)}`);
