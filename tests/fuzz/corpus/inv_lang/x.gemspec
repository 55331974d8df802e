Gem::Specification.new do |s|
  s.name = "rake".freeze
  s.version = "13.0.3"
end
