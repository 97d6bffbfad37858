import importlib
import concepts

importlib.reload(concepts)  # your latest %%writefile
for n in (1, 2, 3):
    answer, why = getattr(concepts, f"Q{n}_ANSWER", None), getattr(concepts, f"Q{n}_WHY", "")
    print(f"Q{n}: {sorted(answer) if isinstance(answer, (set, list)) else answer!r}, "
          f"reason of {len(str(why).split())} words")
