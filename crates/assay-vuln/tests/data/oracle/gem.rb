# Gem::Version (rubygems as shipped with Debian's ruby) as the oracle: A<TAB>B lines in,
# one of < = > ! out.
STDIN.each_line do |line|
  a, b = line.chomp("\n").split("\t", 2)
  begin
    raise ArgumentError unless Gem::Version.correct?(a) && Gem::Version.correct?(b)
    c = Gem::Version.new(a) <=> Gem::Version.new(b)
    puts({ -1 => "<", 0 => "=", 1 => ">" }[c])
  rescue ArgumentError
    puts "!"
  end
end
