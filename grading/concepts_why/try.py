import importlib
import concepts_why

importlib.reload(concepts_why)  # your latest %%writefile
for n in (1, 2):
    answer, why = getattr(concepts_why, f"Q{n}_ANSWER", None), getattr(concepts_why, f"Q{n}_WHY", "")
    print(f"Q{n}: {sorted(answer) if isinstance(answer, (set, list)) else answer!r}, "
          f"reason of {len(str(why).split())} words")
