-- Dhrystone 2.1 (Reinhold P. Weicker, 1988), ported to Lua for vnet.
--
-- Faithful to the C version's procedures, records and control flow: records are tables with
-- the C field names, arrays keep C's 0-based indices, strcpy is an assignment and structassign
-- copies every field. RUNS is replaced by the number of runs before loading. At the end the
-- program checks every final value the benchmark defines and prints
-- `dhrystone ok <runs> <elapsed ms of virtual time>`, or fails naming the first wrong value.

local Ident_1, Ident_2, Ident_3, Ident_4, Ident_5 = 0, 1, 2, 3, 4

local Ptr_Glob, Next_Ptr_Glob
local Int_Glob = 0
local Bool_Glob = false
local Ch_1_Glob, Ch_2_Glob = "\0", "\0"
local Arr_1_Glob = {}
local Arr_2_Glob = {}
for i = 0, 49 do
  Arr_1_Glob[i] = 0
  local row = {}
  for j = 0, 49 do row[j] = 0 end
  Arr_2_Glob[i] = row
end

local function new_record()
  return { Ptr_Comp = nil, Discr = Ident_1, Enum_Comp = Ident_1, Int_Comp = 0, Str_Comp = "" }
end

local function structassign(dst, src)
  dst.Ptr_Comp = src.Ptr_Comp
  dst.Discr = src.Discr
  dst.Enum_Comp = src.Enum_Comp
  dst.Int_Comp = src.Int_Comp
  dst.Str_Comp = src.Str_Comp
end

local function Func_1(Ch_1_Par_Val, Ch_2_Par_Val)
  local Ch_1_Loc = Ch_1_Par_Val
  local Ch_2_Loc = Ch_1_Loc
  if Ch_2_Loc ~= Ch_2_Par_Val then
    return Ident_1
  else
    Ch_1_Glob = Ch_1_Loc
    return Ident_2
  end
end

local function Func_2(Str_1_Par_Ref, Str_2_Par_Ref)
  local Int_Loc = 2
  local Ch_Loc
  while Int_Loc <= 2 do
    -- C's Str[Int_Loc] is the character at 0-based index Int_Loc.
    if Func_1(string.sub(Str_1_Par_Ref, Int_Loc + 1, Int_Loc + 1),
              string.sub(Str_2_Par_Ref, Int_Loc + 2, Int_Loc + 2)) == Ident_1 then
      Ch_Loc = "A"
      Int_Loc = Int_Loc + 1
    end
  end
  if Ch_Loc >= "W" and Ch_Loc < "Z" then
    Int_Loc = 7
  end
  if Ch_Loc == "R" then
    return true
  else
    if Str_1_Par_Ref > Str_2_Par_Ref then
      Int_Loc = Int_Loc + 7
      Int_Glob = Int_Loc
      return true
    else
      return false
    end
  end
end

local function Func_3(Enum_Par_Val)
  local Enum_Loc = Enum_Par_Val
  if Enum_Loc == Ident_3 then
    return true
  else
    return false
  end
end

local function Proc_7(Int_1_Par_Val, Int_2_Par_Val)
  local Int_Loc = Int_1_Par_Val + 2
  return Int_2_Par_Val + Int_Loc
end

local function Proc_6(Enum_Val_Par)
  local Enum_Ref_Par = Enum_Val_Par
  if not Func_3(Enum_Val_Par) then
    Enum_Ref_Par = Ident_4
  end
  if Enum_Val_Par == Ident_1 then
    Enum_Ref_Par = Ident_1
  elseif Enum_Val_Par == Ident_2 then
    if Int_Glob > 100 then Enum_Ref_Par = Ident_1 else Enum_Ref_Par = Ident_4 end
  elseif Enum_Val_Par == Ident_3 then
    Enum_Ref_Par = Ident_2
  elseif Enum_Val_Par == Ident_4 then
    -- nothing
  elseif Enum_Val_Par == Ident_5 then
    Enum_Ref_Par = Ident_3
  end
  return Enum_Ref_Par
end

local function Proc_3(Ptr_Ref_Par)
  if Ptr_Glob ~= nil then
    Ptr_Ref_Par = Ptr_Glob.Ptr_Comp
  end
  Ptr_Glob.Int_Comp = Proc_7(10, Int_Glob)
  return Ptr_Ref_Par
end

local function Proc_1(Ptr_Val_Par)
  local Next_Record = Ptr_Val_Par.Ptr_Comp
  structassign(Ptr_Val_Par.Ptr_Comp, Ptr_Glob)
  Ptr_Val_Par.Int_Comp = 5
  Next_Record.Int_Comp = Ptr_Val_Par.Int_Comp
  Next_Record.Ptr_Comp = Ptr_Val_Par.Ptr_Comp
  Next_Record.Ptr_Comp = Proc_3(Next_Record.Ptr_Comp)
  if Next_Record.Discr == Ident_1 then
    Next_Record.Int_Comp = 6
    Next_Record.Enum_Comp = Proc_6(Ptr_Val_Par.Enum_Comp)
    Next_Record.Ptr_Comp = Ptr_Glob.Ptr_Comp
    Next_Record.Int_Comp = Proc_7(Next_Record.Int_Comp, 10)
  else
    structassign(Ptr_Val_Par, Ptr_Val_Par.Ptr_Comp)
  end
end

local function Proc_2(Int_Par_Ref)
  local Int_Loc = Int_Par_Ref + 10
  local Enum_Loc
  repeat
    if Ch_1_Glob == "A" then
      Int_Loc = Int_Loc - 1
      Int_Par_Ref = Int_Loc - Int_Glob
      Enum_Loc = Ident_1
    end
  until Enum_Loc == Ident_1
  return Int_Par_Ref
end

local function Proc_4()
  local Bool_Loc = Ch_1_Glob == "A"
  Bool_Glob = Bool_Loc or Bool_Glob
  Ch_2_Glob = "B"
end

local function Proc_5()
  Ch_1_Glob = "A"
  Bool_Glob = false
end

local function Proc_8(Arr_1_Par_Ref, Arr_2_Par_Ref, Int_1_Par_Val, Int_2_Par_Val)
  local Int_Loc = Int_1_Par_Val + 5
  Arr_1_Par_Ref[Int_Loc] = Int_2_Par_Val
  Arr_1_Par_Ref[Int_Loc + 1] = Arr_1_Par_Ref[Int_Loc]
  Arr_1_Par_Ref[Int_Loc + 30] = Int_Loc
  for Int_Index = Int_Loc, Int_Loc + 1 do
    Arr_2_Par_Ref[Int_Loc][Int_Index] = Int_Loc
  end
  Arr_2_Par_Ref[Int_Loc][Int_Loc - 1] = Arr_2_Par_Ref[Int_Loc][Int_Loc - 1] + 1
  Arr_2_Par_Ref[Int_Loc + 20][Int_Loc] = Arr_1_Par_Ref[Int_Loc]
  Int_Glob = 5
end

local Number_Of_Runs = RUNS

Next_Ptr_Glob = new_record()
Ptr_Glob = new_record()
Ptr_Glob.Ptr_Comp = Next_Ptr_Glob
Ptr_Glob.Discr = Ident_1
Ptr_Glob.Enum_Comp = Ident_3
Ptr_Glob.Int_Comp = 40
Ptr_Glob.Str_Comp = "DHRYSTONE PROGRAM, SOME STRING"
local Str_1_Loc = "DHRYSTONE PROGRAM, 1'ST STRING"
local Str_2_Loc
Arr_2_Glob[8][7] = 10

local Int_1_Loc, Int_2_Loc, Int_3_Loc, Enum_Loc
local start = now()
for Run_Index = 1, Number_Of_Runs do
  Proc_5()
  Proc_4()
  Int_1_Loc = 2
  Int_2_Loc = 3
  Str_2_Loc = "DHRYSTONE PROGRAM, 2'ND STRING"
  Enum_Loc = Ident_2
  Bool_Glob = not Func_2(Str_1_Loc, Str_2_Loc)
  while Int_1_Loc < Int_2_Loc do
    Int_3_Loc = 5 * Int_1_Loc - Int_2_Loc
    Int_3_Loc = Proc_7(Int_1_Loc, Int_2_Loc)
    Int_1_Loc = Int_1_Loc + 1
  end
  Proc_8(Arr_1_Glob, Arr_2_Glob, Int_1_Loc, Int_3_Loc)
  Proc_1(Ptr_Glob)
  for Ch_Index = string.byte("A"), string.byte(Ch_2_Glob) do
    if Enum_Loc == Func_1(string.char(Ch_Index), "C") then
      Enum_Loc = Proc_6(Ident_1)
      Str_2_Loc = "DHRYSTONE PROGRAM, 3'RD STRING"
      Int_2_Loc = Run_Index
      Int_Glob = Run_Index
    end
  end
  Int_2_Loc = Int_2_Loc * Int_1_Loc
  Int_1_Loc = Int_2_Loc // Int_3_Loc
  Int_2_Loc = 7 * (Int_2_Loc - Int_3_Loc) - Int_1_Loc
  Int_1_Loc = Proc_2(Int_1_Loc)
end
local elapsed = now() - start

local function expect(what, got, want)
  if got ~= want then
    error(string.format("dhrystone: %s is %s, should be %s", what, tostring(got), tostring(want)))
  end
end
expect("Int_Glob", Int_Glob, 5)
expect("Bool_Glob", Bool_Glob, true)
expect("Ch_1_Glob", Ch_1_Glob, "A")
expect("Ch_2_Glob", Ch_2_Glob, "B")
expect("Arr_1_Glob[8]", Arr_1_Glob[8], 7)
expect("Arr_2_Glob[8][7]", Arr_2_Glob[8][7], Number_Of_Runs + 10)
expect("Ptr_Glob.Ptr_Comp", Ptr_Glob.Ptr_Comp, Next_Ptr_Glob)
expect("Ptr_Glob.Discr", Ptr_Glob.Discr, 0)
expect("Ptr_Glob.Enum_Comp", Ptr_Glob.Enum_Comp, 2)
expect("Ptr_Glob.Int_Comp", Ptr_Glob.Int_Comp, 17)
expect("Ptr_Glob.Str_Comp", Ptr_Glob.Str_Comp, "DHRYSTONE PROGRAM, SOME STRING")
expect("Next_Ptr_Glob.Ptr_Comp", Next_Ptr_Glob.Ptr_Comp, Next_Ptr_Glob)
expect("Next_Ptr_Glob.Discr", Next_Ptr_Glob.Discr, 0)
expect("Next_Ptr_Glob.Enum_Comp", Next_Ptr_Glob.Enum_Comp, 1)
expect("Next_Ptr_Glob.Int_Comp", Next_Ptr_Glob.Int_Comp, 18)
expect("Next_Ptr_Glob.Str_Comp", Next_Ptr_Glob.Str_Comp, "DHRYSTONE PROGRAM, SOME STRING")
expect("Int_1_Loc", Int_1_Loc, 5)
expect("Int_2_Loc", Int_2_Loc, 13)
expect("Int_3_Loc", Int_3_Loc, 7)
expect("Enum_Loc", Enum_Loc, 1)
expect("Str_1_Loc", Str_1_Loc, "DHRYSTONE PROGRAM, 1'ST STRING")
expect("Str_2_Loc", Str_2_Loc, "DHRYSTONE PROGRAM, 2'ND STRING")
print(string.format("dhrystone ok %d %.6f", Number_Of_Runs, elapsed))
